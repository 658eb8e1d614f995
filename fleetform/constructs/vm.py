"""The VirtualMachine construct: a HyperCore VM with its disks, NICs, boot order and power state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from constructs import Construct

from fleetform.constructs._ids import logical_id
from fleetform.constructs._text import literal, literal_or_none
from fleetform.constructs._units import DiskSize, disk_size, memory_mib
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import DiskProps, NicProps, VirtualMachineProps
from fleetform.errors import InputError, Issue, Location
from providers.hypercore.disk import Disk
from providers.hypercore.nic import Nic
from providers.hypercore.vm import Vm, VmAffinityStrategy, VmClone
from providers.hypercore.vm_boot_order import VmBootOrder
from providers.hypercore.vm_power_state import VmPowerState

_DISK_TYPES = {"virtio_disk": "VIRTIO_DISK", "ide_cdrom": "IDE_CDROM"}
_NIC_TYPES = {"virtio": "VIRTIO"}
_POWER_STATES = {"running": "RUNNING", "shutoff": "SHUTOFF"}


class VirtualMachine(Construct):
    """A VM cloned from a template (or created empty), plus one resource per disk and NIC.

    Terraform addresses come from names: ``hypercore_vm.<vm>``, ``hypercore_disk.<vm>__<disk>``,
    ``hypercore_nic.<vm>__<network>``, ``hypercore_vm_boot_order.<vm>``, ``hypercore_vm_power_state.<vm>``.
    The power state depends on every disk, NIC and the boot order, so on destroy the VM is shut down before
    its disks are removed. ``resource`` is the underlying ``hypercore_vm``, an escape hatch for fields this
    construct does not model.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: VirtualMachineProps,
        images: Mapping[str, DiskImage] | None = None,
    ) -> None:
        images = images or {}
        _validate(props, images)
        super().__init__(scope, id)
        self.props = props
        self.warnings: list[Issue] = []
        self.disk_sizes: dict[str, DiskSize] = {}
        base = logical_id(id)

        clone = None
        if props.template is not None:
            init = props.cloud_init
            clone = VmClone(
                source_vm_uuid=props.template,
                user_data=literal_or_none(init.user_data) if init else None,
                meta_data=literal_or_none(init.meta_data) if init else None,
            )
        self.resource = Vm(
            self,
            "Resource",
            name=literal(props.name),
            description=literal(props.description),
            # An empty list crashes the provider after the VM exists; [""] is how it reads "no tags".
            tags=[literal(tag) for tag in props.tags] or [""],
            vcpu=props.cpu,
            memory=memory_mib(props.memory_bytes),
            affinity_strategy=VmAffinityStrategy(),
            clone=clone,
        )
        self.resource.override_logical_id(base)

        self.disks: dict[str, Disk] = {}
        for disk in props.disks:
            self.disks[disk.name] = self._add_disk(base, disk, images)
        self.nics: dict[str, Nic] = {}
        for key, nic in _nic_keys(props.nics):
            resource = Nic(self, f"Nic-{key}", vm_uuid=self.uuid, type=_NIC_TYPES[nic.type], vlan=nic.vlan)
            resource.override_logical_id(logical_id(id, key))
            self.nics[key] = resource

        boot_disks = sorted((d for d in props.disks if d.boot is not None), key=lambda d: d.boot or 0)
        boot_devices = [self.disks[d.name].id for d in boot_disks]
        # NICs have no boot index in a manifest: order them by name so reordering the YAML changes nothing.
        boot_devices += [self.nics[key].id for key in sorted(self.nics)]
        self.boot_order: VmBootOrder | None = None
        if boot_devices:
            self.boot_order = VmBootOrder(self, "BootOrder", vm_uuid=self.uuid, boot_devices=boot_devices)
            self.boot_order.override_logical_id(base)

        # Sorted by name, so that reordering the manifest's lists leaves the JSON byte for byte the same.
        dependencies: list[Any] = [self.disks[k] for k in sorted(self.disks)]
        dependencies += [self.nics[k] for k in sorted(self.nics)]
        if self.boot_order is not None:
            dependencies.append(self.boot_order)
        self.power_state = VmPowerState(
            self,
            "PowerState",
            vm_uuid=self.uuid,
            state=_POWER_STATES[props.power_state],
            depends_on=dependencies or None,
        )
        self.power_state.override_logical_id(base)

    @property
    def uuid(self) -> str:
        """Reference to the VM's UUID on the cluster."""
        return self.resource.id

    @property
    def name(self) -> str:
        """The VM's name on the cluster."""
        return self.props.name

    def _add_disk(self, base: str, disk: DiskProps, images: Mapping[str, DiskImage]) -> Disk:
        image = images[disk.image] if disk.image is not None else None
        attrs: dict[str, Any] = {"type": _DISK_TYPES[disk.type]}
        if disk.type == "ide_cdrom":
            if image is not None:
                attrs["iso_uuid"] = image.uuid
        else:
            size = self._disk_size(disk, image)
            self.disk_sizes[disk.name] = size
            attrs["size"] = size.gb
            if image is not None:
                attrs["source_virtual_disk_id"] = image.uuid
        resource = Disk(self, f"Disk-{disk.name}", vm_uuid=self.uuid, **attrs)
        resource.override_logical_id(logical_id(base, disk.name))
        return resource

    def _disk_size(self, disk: DiskProps, image: DiskImage | None) -> DiskSize:
        where = disk.source or self.props.source or Location(self.props.name)
        known = image.props.virtual_size if image is not None else None
        requested = disk.capacity_bytes if disk.capacity_bytes is not None else known
        if requested is None:
            raise InputError(
                [
                    Issue(
                        where,
                        f"disk '{disk.name}' has no capacity and the size of image '{disk.image}' cannot be "
                        "known before it is uploaded",
                        "give the disk a capacity (e.g. capacity: 20GiB), or mirror the image to a local file "
                        "under images: in fleetform.yaml",
                    )
                ]
            )
        if known is not None and requested < known:
            raise InputError(
                [
                    Issue(
                        where,
                        f"disk '{disk.name}' capacity {requested} bytes is smaller than its image "
                        f"'{disk.image}' ({known} bytes); HyperCore can only grow a copied image",
                        f"set capacity to at least {known}",
                    )
                ]
            )
        size = disk_size(requested)
        if size.rounded:
            self.warnings.append(
                Issue(
                    where,
                    f"disk '{disk.name}' capacity {requested} bytes cannot be expressed exactly in the "
                    f"provider's decimal GB; using {size.gb} GB ({size.bytes} bytes)",
                    f"write capacity: {size.bytes} to make this explicit and silence this warning",
                    severity="warning",
                )
            )
        return size


def _nic_keys(nics: list[NicProps] | tuple[NicProps, ...] | Any) -> list[tuple[str, NicProps]]:
    """Stable keys for NICs: the network name, numbered from the second NIC on the same network."""
    seen: dict[str, int] = {}
    keys = []
    for nic in nics:
        base = nic.key or nic.network
        seen[base] = seen.get(base, 0) + 1
        keys.append((base if seen[base] == 1 else f"{base}-{seen[base]}", nic))
    return keys


def _validate(props: VirtualMachineProps, images: Mapping[str, DiskImage]) -> None:
    """Reject props the provider cannot express, all problems at once, before any resource exists."""
    where = props.source or Location(props.name)
    problems: list[str] = []
    if props.cpu < 1:
        problems.append(f"cpu must be at least 1, got {props.cpu}")
    if props.memory_bytes <= 0 or props.memory_bytes % (1024 * 1024):
        problems.append(f"memory {props.memory_bytes} bytes must be a positive whole number of MiB")
    for tag in props.tags:
        if not tag or "," in tag:
            problems.append(
                f"tag {tag!r} must be non-empty and without commas (HyperCore joins tags with ',')"
            )
    if props.cloud_init is not None and props.template is None:
        problems.append("cloud-init needs a template to clone: HyperCore only takes cloud-init when cloning")
    names = [d.name for d in props.disks]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"storage device name '{name}' is used twice")
    boots = [d.boot for d in props.disks if d.boot is not None]
    for boot in sorted({b for b in boots if boots.count(b) > 1}):
        problems.append(f"boot index {boot} is used by more than one device")
    for disk in props.disks:
        if disk.image is not None and disk.image not in images:
            problems.append(f"disk '{disk.name}' uses unknown image '{disk.image}'")
        elif disk.image is not None and images[disk.image].is_iso != (disk.type == "ide_cdrom"):
            problems.append(
                f"disk '{disk.name}': ISO images go into ide_cdrom devices, disk images into disks"
            )
    if problems:
        raise InputError(Issue(where, f"VM '{props.name}': {p}") for p in problems)
