"""A manifest VM with cloud-init and its own CD-ROM, deployed with real Terraform and the stand-in: HyperCore's
cloud-init drive takes IDE slot 0 when the VM is cloned, the user's CD-ROM lands in the next free slot, the boot
order is the manifest's, and neither a second plan nor ``fleetform drift`` sees anything to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.sandbox import PROJECT, TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

pytestmark = pytest.mark.e2e

APP = """\
type: Application
version: "1.0.0"
metadata:
  name: kiosk
spec:
  assets:
    - {name: tools, type: virtual_disk, format: iso, url: "file://ISO"}
  resources:
    - type: virdomain
      name: kiosk
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
          - {name: tools, type: ide_cdrom, source: tools, boot: 2}
          - {name: spare, type: ide_cdrom}
        network_devices:
          - {name: web-net, type: virtio}
        cloud_init_data:
          user_data: |
            #cloud-config
            hostname: kiosk
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("cloud-init-drives")
    iso = root / "tools.iso"
    iso.write_bytes(bytes(4096))
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        sandbox = Sandbox(root / "project", sim, cli_config)
        sandbox.write_manifest("kiosk", APP.replace("ISO", str(iso)))
        sandbox.synth()
        sandbox.apply("kiosk")
        yield sandbox


def cdroms(vm: dict[str, Any]) -> dict[int, str]:
    return {d["slot"]: d["name"] for d in vm["blockDevs"] if d["type"] == "IDE_CDROM"}


def test_cloud_init_drive_and_user_cdroms_have_their_own_slots(box: Sandbox) -> None:
    vm = box.vms()["kiosk"]
    drives = cdroms(vm)
    assert sorted(drives) == [0, 1, 2]
    assert drives[0].startswith("cloud-init-")
    assert sorted(drives[slot] for slot in (1, 2)) == ["", "kiosk-tools.iso"]
    boot = {d["uuid"]: d for d in vm["blockDevs"]}
    first, second = (boot[uuid] for uuid in vm["bootDevices"][:2])
    assert (first["type"], second["name"]) == ("VIRTIO_DISK", "kiosk-tools.iso")
    assert len(vm["bootDevices"]) == 3  # disk, the tools CD-ROM, the NIC: not HyperCore's drive


def test_a_second_plan_and_drift_find_nothing(box: Sandbox) -> None:
    assert box.plan_exit("kiosk") == 0
    result = box.fleetform("drift", *PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no drift" in result.stdout
