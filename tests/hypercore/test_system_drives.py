"""HyperCore's own drives (fleetform.hypercore.system_drives): the one rule import, drift and review share."""

from __future__ import annotations

from typing import Any

import pytest

from fleetform.hypercore.models import BlockDevice, VirDomain
from fleetform.hypercore.system_drives import is_system_drive, system_drive, system_drive_uuids, user_devices


def device(kind: str = "IDE_CDROM", **fields: Any) -> BlockDevice:
    return BlockDevice.model_validate({"uuid": "u", "type": kind, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "cloud-init-0b6e5f1a.iso", "path": "scribe/0b6e5f1a"}, "cloud-init"),
        ({"name": "", "path": "scribe/cloud-init-7c.iso"}, "cloud-init"),
        ({"name": "scale-guest-tools.iso"}, "guest-tools"),
        ({"name": "Scale-Guest-Tools-9.4.1.ISO"}, "guest-tools"),
        ({"name": "ubuntu-22.04.iso"}, None),
        ({"name": "shop-cloud-init.iso"}, None),  # fleetform's own uploads are <application>-<asset>.iso
        ({"name": "", "path": ""}, None),  # an empty drive
    ],
)
def test_system_drives_are_known_by_the_iso_in_the_cdrom(
    fields: dict[str, Any], expected: str | None
) -> None:
    assert system_drive(device(**fields)) == expected


@pytest.mark.parametrize("kind", ["VIRTIO_DISK", "IDE_DISK", "SCSI_DISK", "NVRAM"])
def test_only_cdroms_are_system_drives(kind: str) -> None:
    assert not is_system_drive(device(kind, name="cloud-init-x.iso"))


def test_uuids_and_user_devices_of_vms() -> None:
    vm = VirDomain.model_validate(
        {
            "uuid": "vm",
            "blockDevs": [
                {"uuid": "os", "type": "VIRTIO_DISK", "slot": 0},
                {"uuid": "ci", "type": "IDE_CDROM", "slot": 0, "name": "cloud-init-ab.iso"},
                {"uuid": "cd", "type": "IDE_CDROM", "slot": 1, "name": "installer.iso"},
                {"uuid": "gt", "type": "IDE_CDROM", "slot": 2, "name": "scale-guest-tools.iso"},
            ],
        }
    )
    assert system_drive_uuids([vm]) == {"ci": "cloud-init", "gt": "guest-tools"}
    assert [d.uuid for d in user_devices(vm)] == ["os", "cd"]
