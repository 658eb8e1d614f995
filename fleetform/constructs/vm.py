"""The VirtualMachine construct: a HyperCore VM with its disks, NICs, boot order and power state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs import Construct

from fleetform.addresses import logical_id, nic_keys
from fleetform.constructs._text import literal
from fleetform.constructs._units import DiskSize, disk_size, memory_mib
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import DiskProps, NicProps, VirtualMachineProps
from fleetform.errors import InputError, Issue, Location
from fleetform.secrets import with_references
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

    Terraform addresses come from the construct id (an ``Application`` uses the VM's name), not from the
    scope's path: ``hypercore_vm.<id>``, ``hypercore_disk.<id>__<disk>``, ``hypercore_nic.<id>__<network>``,
    ``hypercore_vm_boot_order.<id>``, ``hypercore_vm_power_state.<id>``. So ids must be unique across the
    stack, and renaming one replaces the VM. The power state depends on every disk, NIC and the boot order, so
    on destroy the VM is shut down before its disks are removed. ``resource`` is the underlying
    ``hypercore_vm``, an escape hatch for fields this construct does not model
    (``vm.resource.add_override(...)``).

    Usable alone in any ``TerraformStack`` with a ``HypercoreProvider``::

        golden = DataHypercoreVms(stack, "golden", name="golden-uefi")
        VirtualMachine(stack, "jumphost", props=VirtualMachineProps(
            name="jumphost", cpu=1, memory_bytes=2 * 1024**3, template=golden.vms.get(0).uuid))

    ``images`` maps the names that ``DiskProps.image`` uses to ``DiskImage`` constructs (default: none).
    ``start_after`` lists VMs this one powers on after (default: none). Invalid props raise
    :class:`fleetform.errors.InputError` listing every problem, before any resource is created.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: VirtualMachineProps,
        images: Mapping[str, DiskImage] | None = None,
        start_after: Sequence[VirtualMachine] = (),
    ) -> None:
        images = images or {}
        _validate(props, images)
        super().__init__(scope, id)
        self.props = props
        self.warnings: list[Issue] = []
        self.disk_sizes: dict[str, DiskSize] = {}
        base = logical_id(id)

        clone = None
        # An adopted VM exists already: the provider's read never sets clone, so a clone block would plan a
        # (silently ignored) update forever.
        if props.template is not None and not props.adopted:
            init = props.cloud_init
            clone = VmClone(
                source_vm_uuid=props.template,
                user_data=_cloud_init_text(init.user_data) if init else None,
                meta_data=_cloud_init_text(init.meta_data) if init else None,
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
            # A manifest has no snapshot schedule; an adopted VM keeps the one it has.
            lifecycle={"ignore_changes": ["snapshot_schedule_uuid"]} if props.adopted else None,
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
        # An adopted VM without boot indexes keeps the boot order it has (it may be empty).
        if boot_devices and (boot_disks or not props.adopted):
            self.boot_order = VmBootOrder(self, "BootOrder", vm_uuid=self.uuid, boot_devices=boot_devices)
            self.boot_order.override_logical_id(base)

        # Sorted by name, so that reordering the manifest's lists leaves the JSON byte for byte the same.
        dependencies: list[Any] = [self.disks[k] for k in sorted(self.disks)]
        dependencies += [self.nics[k] for k in sorted(self.nics)]
        if self.boot_order is not None:
            dependencies.append(self.boot_order)
        # Startup order: this VM powers on only after the VMs it waits for are running.
        dependencies += [other.power_state for other in sorted(start_after, key=lambda vm: vm.name)]
        self.power_state: VmPowerState = VmPowerState(
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
        lifecycle: dict[str, Any] = {}
        if disk.type == "ide_cdrom":
            if image is not None:
                attrs["iso_uuid"] = image.uuid
            if disk.adopted:
                lifecycle["ignore_changes"] = ["flash_priority", "size"]
        elif disk.adopted and disk.capacity_bytes is not None:
            # Exactly what the provider reads back for the disk's capacity, so importing plans no resize.
            exact = disk.capacity_bytes / 1000 / 1000 / 1000
            self.disk_sizes[disk.name] = DiskSize(exact, disk.capacity_bytes, disk.capacity_bytes)
            attrs["size"] = exact
            lifecycle["ignore_changes"] = ["flash_priority"]
        else:
            size = self._disk_size(disk, image)
            self.disk_sizes[disk.name] = size
            attrs["size"] = size.gb
            if image is not None:
                attrs["source_virtual_disk_id"] = image.uuid
        if self.props.protect_data and disk.boot is None and disk.type == "virtio_disk":
            lifecycle["prevent_destroy"] = True
        resource = Disk(
            self,
            f"Disk-{disk.name}",
            vm_uuid=self.uuid,
            lifecycle=lifecycle or None,
            **attrs,
        )
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


def _cloud_init_text(text: str | None) -> str | None:
    """cloud-init text for Terraform: escaped, with secret references as sensitive variables."""
    return None if text is None else with_references(literal(text))


def _nic_keys(nics: Sequence[NicProps]) -> list[tuple[str, NicProps]]:
    """Stable keys for NICs (:func:`fleetform.addresses.nic_keys`), or the keys the props give."""
    return list(zip(nic_keys(n.key or n.network for n in nics), nics, strict=True))


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
    if props.cloud_init is not None and props.adopted:
        problems.append(
            "cloud-init applies only when a VM is created, and this VM was imported (it exists already); "
            "remove cloud_init_data"
        )
    elif props.cloud_init is not None and props.template is None:
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
