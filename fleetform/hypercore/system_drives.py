"""HyperCore's own drives: the CD-ROMs a cluster attaches to a VM by itself, which no manifest declares.

- **cloud-init**: a VM created or cloned with cloud-init data gets an ``IDE_CDROM`` holding
  ``cloud-init-<…>.iso`` in the next free IDE slot (so a clone with cloud-init has one disk more than its
  source).
- **guest tools**: ``attachGuestToolsISO`` attaches an ``IDE_CDROM`` holding ``scale-guest-tools<…>.iso``.

Evidence: Scale Computing's Ansible collection, whose integration tests ran against real clusters
(``tests/integration/targets/git_issue_50``, ``vm_clone/tasks/11_clone_stopped_cloudinit.yml``), and whose
``module_utils/vm.py`` skips these drives when it compares a VM's disks. A block device shows the name of the
ISO in its drive as ``name``.

The rule for "is this a HyperCore system drive" lives here, and only here: the importer never adopts such a
drive as a user disk, drift never reports one appearing or going, and the review never sees one. A user ISO
whose file name happens to start like these would be taken for a system drive; fleetform's own uploads are
named ``<application>-<asset>.iso``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, TypeAlias

from fleetform.hypercore.models import BlockDevice, VirDomain

SystemDrive: TypeAlias = Literal["cloud-init", "guest-tools"]

_PATTERNS: tuple[tuple[SystemDrive, re.Pattern[str]], ...] = (
    ("cloud-init", re.compile(r"^cloud-init-.*\.iso$", re.IGNORECASE)),
    ("guest-tools", re.compile(r"^scale-guest-tools.*\.iso$", re.IGNORECASE)),
)
DESCRIPTION: dict[SystemDrive, str] = {
    "cloud-init": "HyperCore's cloud-init drive",
    "guest-tools": "HyperCore's guest tools drive",
}


def system_drive(device: BlockDevice) -> SystemDrive | None:
    """Which of HyperCore's own drives ``device`` is, or None for a drive someone declared."""
    if device.type != "IDE_CDROM":
        return None
    names = {device.name, device.path.rsplit("/", 1)[-1]} - {""}
    for kind, pattern in _PATTERNS:
        if any(pattern.match(name) for name in names):
            return kind
    return None


def is_system_drive(device: BlockDevice) -> bool:
    """Whether HyperCore attached ``device`` by itself (cloud-init or guest tools)."""
    return system_drive(device) is not None


def system_drive_uuids(vms: Iterable[VirDomain]) -> dict[str, SystemDrive]:
    """Block device UUID -> kind, for every system drive of ``vms``."""
    found: dict[str, SystemDrive] = {}
    for vm in vms:
        for device in vm.block_devs:
            kind = system_drive(device)
            if kind is not None:
                found[device.uuid] = kind
    return found


def user_devices(vm: VirDomain) -> list[BlockDevice]:
    """``vm``'s block devices without HyperCore's own drives."""
    return [device for device in vm.block_devs if not is_system_drive(device)]
