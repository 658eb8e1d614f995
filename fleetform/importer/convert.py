"""One HyperCore VM record -> the manifest VM that describes it, its Terraform import IDs, and what was left out.

Pure functions over the REST records: no I/O. The rule throughout is that the manifest plus the imports must
plan **no change** for the VM: every value is what the provider reads back (provider.md §3.2, §4), and what a
manifest cannot express is left out of it, left alone on the cluster and named in :attr:`ImportedVm.notes`:

- Disks have no ``source`` (which image a disk was copied from is not knowable) and their exact capacity;
  ``ide_cdrom`` drives are empty drives (an inserted ISO stays in, unmanaged). ``IDE_DISK``, ``SCSI_DISK`` and
  ``IDE_FLOPPY`` devices, which the manifest format has no type for, stay on the VM unmanaged. ``NVRAM`` and
  ``VTPM`` devices belong to the machine type, not to the storage devices.
- NICs are named after the network of their VLAN in fleetform.yaml (an unmapped VLAN is reported in
  :attr:`ImportedVm.unmapped_vlans`, for the caller to turn into one error). Only ``VIRTIO`` NICs are in the
  manifest format. The provider imports a NIC by ``vm:TYPE:vlan`` and takes the *first* such NIC, so of two
  NICs of one type on one VLAN only the first is managed; the others stay on the VM unmanaged.
- Boot order: the manifest gives boot disks by ``boot`` index, and fleetform puts every NIC after them, sorted
  by network name. A ``bootDevices`` list of that shape becomes ``boot:`` indexes and a managed boot order;
  an empty list becomes no boot index (and, for an imported VM, no boot-order resource); any other list is
  left on the VM as it is, unmanaged.
- cloud-init is never carried over: it only applies when a VM is created, and an imported VM is never
  cloned. A PAUSED VM is skipped: the manifest knows ``running`` and ``shutoff`` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fleetform.addresses import logical_id, nic_keys
from fleetform.hypercore.models import NetDevice, VirDomain
from fleetform.hypercore.system_drives import DESCRIPTION, system_drive, user_devices

MIB = 1024 * 1024
DEFAULT_TIERING = 8  # the provider's default flash_priority 4
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]([-A-Za-z0-9_.]*[A-Za-z0-9_.])?$")
"""Fleet Manager's pattern for VM names, without the braces it allows for templating."""
MAX_NAME = 63
FIRMWARE_TYPES = ("NVRAM", "VTPM")
DISK_TYPES = {"VIRTIO_DISK": "virtio_disk", "IDE_CDROM": "ide_cdrom"}
DEVICE_PREFIX = {"VIRTIO_DISK": "disk", "IDE_CDROM": "cdrom"}
NIC_TYPES = {"VIRTIO": "virtio"}
PowerState = Literal["running", "shutoff"]
POWER_STATES: dict[str, PowerState] = {"RUNNING": "running", "SHUTOFF": "shutoff"}

MachineType = Literal["bios", "uefi", "tpm"]
KEYWORDS: dict[str, MachineType] = {"bios": "bios", "uefi": "uefi", "tpm": "tpm", "tpm-compatible": "tpm"}
KNOWN_MACHINE_TYPES: dict[str, MachineType] = {
    "scale-5.4": "bios",
    "scale-6.4": "bios",
    "scale-7.2": "bios",
    "scale-bios-lsi-9.2": "bios",
    "scale-bios-9.3": "bios",
    "scale-8.10": "uefi",
    "scale-uefi-9.3": "uefi",
    "scale-uefi-tpm-9.2": "tpm",
    "scale-uefi-tpm-9.3": "tpm",
    "scale-uefi-tpm-compatible-9.3": "tpm",
}


@dataclass(frozen=True)
class ImportedDisk:
    """A storage device of an imported VM."""

    name: str
    type: Literal["virtio_disk", "ide_cdrom"]
    slot: int
    uuid: str
    import_id: str
    capacity: int | None = None
    """Bytes (disks only)."""
    boot: int | None = None


@dataclass(frozen=True)
class ImportedNic:
    """A network device of an imported VM."""

    network: str
    key: str
    vlan: int
    mac: str
    uuid: str
    import_id: str


@dataclass
class ImportedVm:
    """A VM as its manifest entry, its import IDs and what the manifest leaves out."""

    name: str
    uuid: str
    description: str
    cpu: int
    memory: int
    machine_type: MachineType
    state: PowerState
    tags: list[str]
    disks: list[ImportedDisk]
    nics: list[ImportedNic]
    imports: dict[str, str] = field(default_factory=dict)
    """Terraform address -> import ID, for every resource fleetform will manage."""
    notes: list[str] = field(default_factory=list)
    """What was left out of the manifest or decided for it, one sentence each."""
    unmapped_vlans: list[tuple[int, str]] = field(default_factory=list)
    """(VLAN, NIC MAC) of NICs whose VLAN fleetform.yaml names no network for."""
    has_cloud_init: bool = False


@dataclass(frozen=True)
class Skipped:
    """A VM that is not imported, and why."""

    name: str
    uuid: str
    reason: str


@dataclass(frozen=True)
class NetworkMap:
    """VLAN -> network name from fleetform.yaml ``networks:``; VLANs named twice resolve to the first name
    in alphabetical order, and say so in ``ambiguous``."""

    by_vlan: Mapping[int, str]
    ambiguous: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_networks(cls, networks: Mapping[str, int]) -> NetworkMap:
        names: dict[int, list[str]] = {}
        for name, vlan in networks.items():
            names.setdefault(vlan, []).append(name)
        by_vlan = {vlan: sorted(found)[0] for vlan, found in names.items()}
        ambiguous = {vlan: tuple(sorted(found)) for vlan, found in names.items() if len(found) > 1}
        return cls(by_vlan, ambiguous)


def vm_address(vm: str) -> str:
    """``hypercore_vm.<vm>`` (the VirtualMachine construct's address scheme)."""
    return f"hypercore_vm.{logical_id(vm)}"


def addresses(vm: str) -> dict[str, str]:
    """The per-VM addresses that take the VM's UUID as import ID."""
    return {
        "vm": vm_address(vm),
        "boot_order": f"hypercore_vm_boot_order.{logical_id(vm)}",
        "power_state": f"hypercore_vm_power_state.{logical_id(vm)}",
    }


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a VM name in a manifest (None: it can), with a suggested new name."""
    if NAME_PATTERN.fullmatch(name) and len(name) <= MAX_NAME:
        return None
    suggestion = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:MAX_NAME].rstrip("-") or "vm"
    why = (
        f"longer than {MAX_NAME} characters"
        if NAME_PATTERN.fullmatch(name)
        else "not a valid manifest name (letters, digits, '-', '_' and '.'; no '-' at the end)"
    )
    return f"its name is {why}; rename it on the cluster (e.g. to '{suggestion}') and import again"


def machine_type_of(vm: VirDomain) -> tuple[MachineType | None, str]:
    """The manifest's machine type for a VM (None: unknown), and a note when it is an approximation."""
    keyword = vm.machine_type_keyword.strip().lower()
    if keyword in KEYWORDS:
        note = "machine type tpm-compatible is recorded as tpm" if keyword == "tpm-compatible" else ""
        return KEYWORDS[keyword], note
    text = vm.machine_type.strip().lower()
    if text in KNOWN_MACHINE_TYPES:
        note = "machine type tpm-compatible is recorded as tpm" if "compatible" in text else ""
        return KNOWN_MACHINE_TYPES[text], note
    if re.fullmatch(r"scale-(uefi-tpm|tpm)[-a-z]*-\d+(\.\d+)*", text):
        return "tpm", ""
    if re.fullmatch(r"scale-uefi-\d+(\.\d+)*", text):
        return "uefi", ""
    if re.fullmatch(r"scale-bios[-a-z]*-\d+(\.\d+)*", text):
        return "bios", ""
    return None, ""


def convert_vm(raw: Mapping[str, Any], networks: NetworkMap) -> ImportedVm | Skipped:
    """One ``VirDomain`` record (as the REST API returns it) -> an :class:`ImportedVm`, or why it is skipped."""
    vm = VirDomain.model_validate(raw)
    problem = name_problem(vm.name)
    if problem:
        return Skipped(vm.name, vm.uuid, problem)
    disposition = vm.desired_disposition or vm.state
    if disposition not in POWER_STATES:
        what = "PAUSED" if disposition == "PAUSED" else f"in power state '{disposition or 'unknown'}'"
        return Skipped(
            vm.name,
            vm.uuid,
            f"it is {what}; a manifest knows running and shutoff only: resume it or shut it off, then "
            "import again",
        )
    machine_type, machine_note = machine_type_of(vm)
    if machine_type is None:
        shown = vm.machine_type or vm.machine_type_keyword or "(none)"
        return Skipped(
            vm.name,
            vm.uuid,
            f"its machine type '{shown}' is not one fleetform knows (BIOS, UEFI or UEFI with vTPM)",
        )
    if vm.num_vcpu < 1 or vm.mem < MIB:
        return Skipped(
            vm.name,
            vm.uuid,
            f"it has {vm.num_vcpu} vCPUs and {vm.mem} bytes of memory; a manifest needs both",
        )

    notes: list[str] = []
    if machine_note:
        notes.append(machine_note)
    memory = vm.mem // MIB * MIB
    if memory != vm.mem:
        notes.append(
            f"memory {vm.mem} bytes is not a whole MiB; written as {memory} (the provider reads it in whole MiB)"
        )
    tags = _tags(raw.get("tags"), notes)
    disks = _disks(vm, notes)
    nics, unmapped = _nics(vm, networks, notes)
    disks = _boot_order(vm, disks, nics, notes)
    _kept_as_is(vm, notes)

    imported = ImportedVm(
        name=vm.name,
        uuid=vm.uuid,
        description=vm.description,
        cpu=vm.num_vcpu,
        memory=memory,
        machine_type=machine_type,
        state=POWER_STATES[disposition],
        tags=tags,
        disks=disks,
        nics=nics,
        notes=notes,
        unmapped_vlans=unmapped,
        has_cloud_init=_has_cloud_init(raw),
    )
    imported.imports = import_ids(imported)
    return imported


def import_ids(vm: ImportedVm) -> dict[str, str]:
    """Terraform address -> import ID for the VM and every device and setting fleetform manages."""
    found = addresses(vm.name)
    ids = {found["vm"]: vm.uuid, found["power_state"]: vm.uuid}
    if any(disk.boot is not None for disk in vm.disks):
        ids[found["boot_order"]] = vm.uuid
    for disk in vm.disks:
        ids[f"hypercore_disk.{logical_id(vm.name, disk.name)}"] = disk.import_id
    for nic in vm.nics:
        ids[f"hypercore_nic.{logical_id(vm.name, nic.key)}"] = nic.import_id
    return dict(sorted(ids.items()))


def _tags(value: Any, notes: list[str]) -> list[str]:
    # The provider reads tags as the comma string split on ","; "" is "no tags".
    text = value if isinstance(value, str) else ""
    if not text:
        return []
    parts = text.split(",")
    kept = [part for part in parts if part.strip()]
    if len(kept) != len(parts):
        notes.append(
            f"tags {text!r} hold empty items, which a manifest cannot express; written as {kept} "
            "(the first apply rewrites the VM's tags)"
        )
    return kept


def _disks(vm: VirDomain, notes: list[str]) -> list[ImportedDisk]:
    disks: list[ImportedDisk] = []
    seen: set[tuple[str, int]] = set()
    for device in vm.block_devs:
        kind = system_drive(device)
        if kind is not None:
            notes.append(
                f"{DESCRIPTION[kind]} (IDE slot {device.slot}, '{device.name or device.path}') stays on the VM "
                "outside the manifest: HyperCore attached it, no manifest declares it"
            )
    for device in sorted(user_devices(vm), key=lambda d: (d.type != "VIRTIO_DISK", d.type, d.slot, d.uuid)):
        if device.type in FIRMWARE_TYPES:
            continue  # part of the machine type
        if device.type not in DISK_TYPES:
            notes.append(
                f"{device.type} device in slot {device.slot} ({_gb(device.capacity)}) is left on the VM "
                "unmanaged: the manifest format has virtio_disk and ide_cdrom only"
            )
            continue
        if (device.type, device.slot) in seen or device.slot < 0:
            notes.append(
                f"{device.type} device {device.uuid} in slot {device.slot} is left on the VM unmanaged: the "
                "provider's import ID (vm:type:slot) cannot tell it from another device"
            )
            continue
        if device.type == "VIRTIO_DISK" and device.capacity <= 0:
            notes.append(f"VIRTIO_DISK in slot {device.slot} has no capacity; left on the VM unmanaged")
            continue
        seen.add((device.type, device.slot))
        name = f"{DEVICE_PREFIX[device.type]}-{device.slot}"
        if device.type == "IDE_CDROM" and device.path:
            notes.append(
                f"{name} holds ISO '{device.name or device.path}'; it stays in the drive, unmanaged (which "
                "asset it came from is not knowable)"
            )
        if device.tiering_priority_factor != DEFAULT_TIERING:
            notes.append(
                f"{name} flash priority (tiering factor {device.tiering_priority_factor}) is kept as is; "
                "fleetform does not manage it for imported disks"
            )
        disks.append(
            ImportedDisk(
                name=name,
                type="virtio_disk" if device.type == "VIRTIO_DISK" else "ide_cdrom",
                slot=device.slot,
                uuid=device.uuid,
                import_id=f"{vm.uuid}:{device.type}:{device.slot}",
                capacity=device.capacity if device.type == "VIRTIO_DISK" else None,
            )
        )
    return disks


def _nics(
    vm: VirDomain, networks: NetworkMap, notes: list[str]
) -> tuple[list[ImportedNic], list[tuple[int, str]]]:
    chosen: list[NetDevice] = []
    seen: dict[tuple[str, int], NetDevice] = {}
    unmapped: list[tuple[int, str]] = []
    for nic in vm.net_devs:
        if nic.type not in NIC_TYPES:
            notes.append(
                f"{nic.type} NIC {nic.mac_address} on VLAN {nic.vlan} is left on the VM unmanaged: the "
                "manifest format has virtio NICs only"
            )
            continue
        first = seen.get((nic.type, nic.vlan))
        if first is not None:
            notes.append(
                f"NIC {nic.mac_address} is a second {nic.type} NIC on VLAN {nic.vlan} (like "
                f"{first.mac_address}); the provider's import ID (vm:{nic.type}:{nic.vlan}) cannot tell them "
                "apart, so only the first is managed and this one stays on the VM unmanaged"
            )
            continue
        seen[(nic.type, nic.vlan)] = nic
        if nic.vlan not in networks.by_vlan:
            unmapped.append((nic.vlan, nic.mac_address))
            continue
        if nic.vlan in networks.ambiguous:
            names = networks.ambiguous[nic.vlan]
            notes.append(
                f"VLAN {nic.vlan} is {' and '.join(repr(n) for n in names)} in fleetform.yaml; "
                f"the NIC is named '{networks.by_vlan[nic.vlan]}' (the first alphabetically)"
            )
        chosen.append(nic)
    keys = nic_keys(networks.by_vlan[nic.vlan] for nic in chosen)
    imported = [
        ImportedNic(
            network=networks.by_vlan[nic.vlan],
            key=key,
            vlan=nic.vlan,
            mac=nic.mac_address,
            uuid=nic.uuid,
            import_id=f"{vm.uuid}:{nic.type}:{nic.vlan}",
        )
        for key, nic in zip(keys, chosen, strict=True)
    ]
    return imported, unmapped


def _boot_order(
    vm: VirDomain, disks: list[ImportedDisk], nics: Sequence[ImportedNic], notes: list[str]
) -> list[ImportedDisk]:
    """``disks`` with ``boot`` indexes when the VM's boot order has the shape a manifest gives it."""
    order = list(vm.boot_devices)
    if not order:
        return disks
    by_uuid = {disk.uuid: disk for disk in disks}
    leading = 0
    while leading < len(order) and order[leading] in by_uuid:
        leading += 1
    expected_nics = [nic.uuid for nic in sorted(nics, key=lambda n: n.key)]
    if leading and order[leading:] == expected_nics and len(set(order)) == len(order):
        index = {uuid: position + 1 for position, uuid in enumerate(order[:leading])}
        return [_with_boot(disk, index.get(disk.uuid)) for disk in disks]
    names = {disk.uuid: disk.name for disk in disks} | {nic.uuid: f"NIC {nic.network}" for nic in nics}
    names |= _system_drive_names(vm)
    shown = ", ".join(names.get(uuid, "an unmanaged device") for uuid in order)
    notes.append(
        f"boot order [{shown}] is left on the VM as it is, unmanaged: a manifest orders boot disks, then "
        "every NIC by network name"
    )
    return disks


def _system_drive_names(vm: VirDomain) -> dict[str, str]:
    """UUID -> how a note names each of HyperCore's own drives of ``vm``."""
    found = {}
    for device in vm.block_devs:
        kind = system_drive(device)
        if kind is not None:
            found[device.uuid] = DESCRIPTION[kind]
    return found


def _with_boot(disk: ImportedDisk, boot: int | None) -> ImportedDisk:
    return ImportedDisk(
        name=disk.name,
        type=disk.type,
        slot=disk.slot,
        uuid=disk.uuid,
        import_id=disk.import_id,
        capacity=disk.capacity,
        boot=boot,
    )


def _kept_as_is(vm: VirDomain, notes: list[str]) -> None:
    if vm.snapshot_schedule_uuid:
        notes.append(
            f"snapshot schedule {vm.snapshot_schedule_uuid} is kept as is; fleetform does not manage it (an "
            "x-fleetform snapshot_schedule on this VM would attach it to one of the application's instead)"
        )
    affinity = vm.affinity_strategy
    if affinity.strict_affinity or affinity.preferred_node_uuid or affinity.backup_node_uuid:
        notes.append("node affinity is kept as is; fleetform does not manage it")


def _has_cloud_init(raw: Mapping[str, Any]) -> bool:
    data = raw.get("cloudInitData")
    return isinstance(data, dict) and any(data.get(key) for key in ("userData", "metaData"))


def _gb(capacity: int) -> str:
    return f"{capacity / 1000**3:g} GB"
