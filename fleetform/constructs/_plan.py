"""What a VM or an image becomes in Terraform, as plain data. Private to the constructs.

The one place that decides a VM's resources, their construct ids, logical ids, attributes, lifecycle rules,
boot order and dependencies, and validates props before anything exists. References between resources stay
symbolic here (the disk's image by name, boot devices and dependencies by kind and key): the constructs
(:mod:`fleetform.constructs.vm`) turn them into references that follow the referenced resource wherever it
ends up (:mod:`fleetform.constructs._element`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any, Literal

from fleetform.addresses import logical_id, nic_keys
from fleetform.constructs._text import literal
from fleetform.constructs._units import DiskSize, disk_size, memory_mib
from fleetform.constructs.props import (
    ApplicationProps,
    DiskImageProps,
    DiskProps,
    NicProps,
    SnapshotScheduleProps,
    VirtualMachineProps,
)
from fleetform.errors import InputError, Issue, Location
from fleetform.manifest.schedule import frequency_problem, parse_start
from fleetform.manifest.secrets import secret_names, variable_name, with_references

DISK_TYPES = {"virtio_disk": "VIRTIO_DISK", "ide_cdrom": "IDE_CDROM"}
NIC_TYPES = {"virtio": "VIRTIO"}
POWER_STATES = {"running": "RUNNING", "shutoff": "SHUTOFF"}

DeviceKind = Literal["disk", "nic", "boot_order"]


@dataclass(frozen=True)
class ImagePlan:
    """A ``DiskImage``: a ``hypercore_virtual_disk`` or, for ISO images, a ``hypercore_iso``."""

    type: str
    logical_id: str
    attributes: dict[str, Any]


def plan_image(id: str, props: DiskImageProps) -> ImagePlan:
    """The resource of the image with construct id ``id``."""
    resource_type = "hypercore_iso" if props.format == "iso" else "hypercore_virtual_disk"
    attributes = {"name": literal(props.cluster_name), "source_url": literal(props.source_url)}
    return ImagePlan(resource_type, logical_id(id), attributes)


@dataclass(frozen=True)
class SchedulePlan:
    """A ``SnapshotSchedule``: one ``hypercore_vm_snapshot_schedule``."""

    type: str
    logical_id: str
    attributes: dict[str, Any]
    """``name`` and ``rules`` (a list of plain dicts, in the props' order)."""


SCHEDULE_TYPE = "hypercore_vm_snapshot_schedule"


def plan_schedule(id: str, props: SnapshotScheduleProps) -> SchedulePlan:
    """The resource of the snapshot schedule with construct id ``id``. Raises InputError for rules HyperCore
    would not take, all problems at once."""
    validate_schedule(props)
    rules = [
        {
            "name": literal(rule.name),
            "start_timestamp": literal(rule.start),
            "frequency": literal(rule.frequency),
            "local_retention_seconds": rule.local_retention_seconds,
            # The provider defaults to 0, although it documents "same as local" (so does the Ansible
            # collection, which sends the local value): say it explicitly.
            "remote_retention_seconds": rule.local_retention_seconds
            if rule.remote_retention_seconds is None
            else rule.remote_retention_seconds,
        }
        for rule in props.rules
    ]
    attributes = {"name": literal(props.schedule_name), "rules": rules}
    return SchedulePlan(SCHEDULE_TYPE, logical_id(id), attributes)


SCHEDULES_CONSTRUCT_ID = "SnapshotSchedules"
"""The construct that holds an application's snapshot schedules (by name), apart from its images and VMs."""


def validate_schedule(props: SnapshotScheduleProps) -> None:
    """Reject a schedule HyperCore would not take: no rules, rules named twice, a start that is not
    ``YYYY-MM-DD HH:MM:SS``, a frequency that is not an RFC 2445 rule, retentions out of range."""
    problems: list[str] = []
    if not props.schedule_name.strip():
        problems.append("the name must not be empty")
    if not props.rules:
        problems.append("a schedule needs at least one rule (without one it takes no snapshots)")
    names = [rule.name for rule in props.rules]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"rule name '{name}' is used twice")
    for rule in props.rules:
        try:
            if parse_start(rule.start) != rule.start:
                raise ValueError(f"start {rule.start!r} must be written YYYY-MM-DD HH:MM:SS")
        except ValueError as exc:
            problems.append(f"rule '{rule.name}': {exc}")
        problem = frequency_problem(rule.frequency)
        if problem:
            problems.append(f"rule '{rule.name}': frequency {rule.frequency!r}: {problem}")
        if rule.local_retention_seconds < 1:
            problems.append(f"rule '{rule.name}': local retention must be at least 1 second")
        if rule.remote_retention_seconds is not None and rule.remote_retention_seconds < 0:
            problems.append(f"rule '{rule.name}': remote retention must not be negative")
    if problems:
        raise InputError(
            Issue(Location(props.name), f"snapshot schedule '{props.name}': {p}") for p in problems
        )


@dataclass(frozen=True)
class DiskPlan:
    """One ``hypercore_disk`` of a VM (``vm_uuid`` is always the VM's id)."""

    name: str
    construct_id: str
    logical_id: str
    attributes: dict[str, Any]
    """Literal attributes (``type``, ``size``)."""
    image: str | None
    """The image (by name) whose id goes into ``image_attribute``; None: no image reference."""
    image_attribute: str | None
    """``iso_uuid`` (a CD-ROM) or ``source_virtual_disk_id`` (a copied image)."""
    lifecycle: dict[str, Any] | None


@dataclass(frozen=True)
class NicPlan:
    """One ``hypercore_nic`` of a VM (``vm_uuid`` is always the VM's id)."""

    key: str
    construct_id: str
    logical_id: str
    attributes: dict[str, Any]


@dataclass
class VmPlan:
    """Every resource of one VM, in creation order, with its attributes."""

    logical_id: str
    """Of the ``hypercore_vm``, the boot order and the power state alike."""
    attributes: dict[str, Any]
    """Literal attributes of the ``hypercore_vm`` besides ``affinity_strategy`` (always ``{}``) and ``clone``."""
    clone: dict[str, Any] | None
    """The ``clone`` block without unset fields; None: no clone."""
    lifecycle: dict[str, Any] | None
    disks: list[DiskPlan]
    nics: list[NicPlan]
    boot_devices: list[tuple[DeviceKind, str]] | None
    """The boot order (disks by name, then NICs by key); None: no ``hypercore_vm_boot_order``."""
    snapshot_schedule: str | None
    """The schedule (by name) whose id goes into ``snapshot_schedule_uuid``; None: no schedule."""
    power_state: str
    depends_on: list[tuple[DeviceKind, str]]
    """What the power state depends on within the VM, in this order (other VMs are the caller's)."""
    warnings: list[Issue] = field(default_factory=list)
    disk_sizes: dict[str, DiskSize] = field(default_factory=dict)


def plan_vm(
    id: str,
    props: VirtualMachineProps,
    images: Mapping[str, DiskImageProps],
    schedules: Mapping[str, SnapshotScheduleProps] | None = None,
    *,
    template: Any = None,
    application: str | None = None,
) -> VmPlan:
    """The resources of the VM with construct id ``id``; ``images`` maps the names disks use to their props,
    ``schedules`` the names of snapshot schedules, ``template`` is what the clone's ``source_vm_uuid`` gets
    (default: ``props.template``), ``application`` the name of the application the VM is part of (for its
    default description). Raises InputError for props the provider cannot express, before deciding
    anything."""
    template = props.template if template is None else template
    validate_vm(props, images, schedules or {}, has_template=template is not None)
    base = logical_id(id)
    clone = None
    # An adopted VM exists already: the provider's read never sets clone, so a clone block would plan a
    # (silently ignored) update forever.
    if template is not None and not props.adopted:
        init = props.cloud_init
        clone = {"source_vm_uuid": template}
        if init is not None and init.user_data is not None:
            clone["user_data"] = _cloud_init_text(init.user_data)
        if init is not None and init.meta_data is not None:
            clone["meta_data"] = _cloud_init_text(init.meta_data)
    attributes: dict[str, Any] = {
        "name": literal(props.name),
        "description": literal(vm_description(props, application)),
        # An empty list crashes the provider after the VM exists; [""] is how it reads "no tags".
        "tags": [literal(tag) for tag in props.tags] or [""],
        "vcpu": props.cpu,
        "memory": memory_mib(props.memory_bytes),
    }
    plan = VmPlan(
        logical_id=base,
        attributes=attributes,
        clone=clone,
        # An adopted VM keeps the snapshot schedule it has, unless the manifest gives it one.
        lifecycle={"ignore_changes": ["snapshot_schedule_uuid"]}
        if props.adopted and props.snapshot_schedule is None
        else None,
        disks=[],
        nics=[],
        boot_devices=None,
        snapshot_schedule=props.snapshot_schedule,
        power_state=POWER_STATES[props.power_state],
        depends_on=[],
    )
    if props.description == "" and clone is not None:
        plan.warnings.append(
            Issue(
                props.source or Location(props.name),
                f"VM '{props.name}' has an empty description: the provider leaves it out when it creates the "
                "VM, so the clone keeps its template's description, and the plan after the deploy shows a change",
                "write a description, or leave it out for fleetform's '<application>/<vm> (managed by fleetform)'",
                severity="warning",
            )
        )
    for disk in props.disks:
        plan.disks.append(_plan_disk(plan, props, base, disk, images))
    for key, nic in _nic_keys(props.nics):
        attrs = {"type": NIC_TYPES[nic.type], "vlan": nic.vlan}
        plan.nics.append(NicPlan(key, f"Nic-{key}", logical_id(id, key), attrs))

    boot_disks = sorted((d for d in props.disks if d.boot is not None), key=lambda d: d.boot or 0)
    boot_devices: list[tuple[DeviceKind, str]] = [("disk", d.name) for d in boot_disks]
    # NICs have no boot index in a manifest: order them by name so reordering the YAML changes nothing.
    nic_names = sorted(n.key for n in plan.nics)
    boot_devices += [("nic", key) for key in nic_names]
    # An adopted VM without boot indexes keeps the boot order it has (it may be empty).
    if boot_devices and (boot_disks or not props.adopted):
        plan.boot_devices = boot_devices

    # Sorted by name, so that reordering the manifest's lists leaves the JSON byte for byte the same.
    plan.depends_on = [("disk", name) for name in sorted(d.name for d in plan.disks)]
    plan.depends_on += [("nic", key) for key in nic_names]
    if plan.boot_devices is not None:
        plan.depends_on.append(("boot_order", ""))
    return plan


def _plan_disk(
    plan: VmPlan, props: VirtualMachineProps, base: str, disk: DiskProps, images: Mapping[str, DiskImageProps]
) -> DiskPlan:
    image = images[disk.image] if disk.image is not None else None
    attrs: dict[str, Any] = {"type": DISK_TYPES[disk.type]}
    image_attribute = None
    lifecycle: dict[str, Any] = {}
    if disk.type == "ide_cdrom":
        if image is not None:
            image_attribute = "iso_uuid"
        # A CD-ROM has no size in a manifest, but the provider reads one back (its ISO's, 0 when empty) into
        # the optional, non-computed `size`: without this, every plan after a deploy would "update" it to null.
        lifecycle["ignore_changes"] = ["flash_priority", "size"] if disk.adopted else ["size"]
    elif disk.adopted and disk.capacity_bytes is not None:
        # Exactly what the provider reads back for the disk's capacity, so importing plans no resize.
        exact = disk.capacity_bytes / 1000 / 1000 / 1000
        plan.disk_sizes[disk.name] = DiskSize(exact, disk.capacity_bytes, disk.capacity_bytes)
        attrs["size"] = exact
        lifecycle["ignore_changes"] = ["flash_priority"]
    else:
        size = _disk_size(plan, props, disk, image)
        plan.disk_sizes[disk.name] = size
        attrs["size"] = size.gb
        if image is not None:
            image_attribute = "source_virtual_disk_id"
    if props.protect_data and disk.boot is None and disk.type == "virtio_disk":
        lifecycle["prevent_destroy"] = True
    return DiskPlan(
        name=disk.name,
        construct_id=f"Disk-{disk.name}",
        logical_id=logical_id(base, disk.name),
        attributes=attrs,
        image=disk.image if image_attribute is not None else None,
        image_attribute=image_attribute,
        lifecycle=lifecycle or None,
    )


def _disk_size(
    plan: VmPlan, props: VirtualMachineProps, disk: DiskProps, image: DiskImageProps | None
) -> DiskSize:
    where = disk.source or props.source or Location(props.name)
    known = image.virtual_size if image is not None else None
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
        plan.warnings.append(
            Issue(
                where,
                f"disk '{disk.name}' capacity {requested} bytes cannot be expressed exactly in the "
                f"provider's decimal GB; using {size.gb} GB ({size.bytes} bytes)",
                f"write capacity: {size.bytes} to make this explicit and silence this warning",
                severity="warning",
            )
        )
    return size


def _cloud_init_text(text: str) -> str:
    """cloud-init text for Terraform: escaped, with secret references as sensitive variables."""
    return with_references(literal(text))


def _nic_keys(nics: Sequence[NicProps]) -> list[tuple[str, NicProps]]:
    """Stable keys for NICs (:func:`fleetform.addresses.nic_keys`), or the keys the props give."""
    return list(zip(nic_keys(n.key or n.network for n in nics), nics, strict=True))


def default_description(vm: str, application: str | None = None) -> str:
    """The description of a VM that has none: ``<application>/<vm> (managed by fleetform)`` in an
    application, ``<vm> (managed by fleetform)`` alone."""
    return f"{application}/{vm} (managed by fleetform)" if application else f"{vm} (managed by fleetform)"


def vm_description(props: VirtualMachineProps, application: str | None = None) -> str:
    """The one rule for a VM's description: what ``hypercore_vm.description`` gets.

    The provider leaves an empty description out of the call that creates a VM, so a clone keeps its template's
    description, the next refresh reads that back, and the plan after the deploy shows a change (whose apply
    sends ``""``). So a VM without a description (``None``) gets :func:`default_description`, never ``""``;
    a VM whose props say ``""`` gets ``""``, with a warning when it is cloned (:func:`plan_vm`): an adopted VM
    is never cloned, and one created empty gets ``""`` from HyperCore anyway.
    """
    if props.description is None:
        return default_description(props.name, application)
    return props.description


def validate_vm(
    props: VirtualMachineProps,
    images: Mapping[str, DiskImageProps],
    schedules: Mapping[str, SnapshotScheduleProps] | None = None,
    *,
    has_template: bool | None = None,
) -> None:
    """Reject props the provider cannot express, all problems at once, before any resource exists.
    ``has_template``: whether the VM is cloned (default: whether ``props.template`` is set)."""
    where = props.source or Location(props.name)
    has_template = props.template is not None if has_template is None else has_template
    problems: list[str] = []
    if props.snapshot_schedule is not None and props.snapshot_schedule not in (schedules or {}):
        problems.append(f"uses unknown snapshot schedule '{props.snapshot_schedule}'")
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
    elif props.cloud_init is not None and not has_template:
        problems.append("cloud-init needs a template to clone: HyperCore only takes cloud-init when cloning")
    names = [d.name for d in props.disks]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"storage device name '{name}' is used twice")
    boots = [d.boot for d in props.disks if d.boot is not None]
    for boot in sorted({b for b in boots if boots.count(b) > 1}):
        problems.append(f"boot index {boot} is used by more than one device")
    for kind, ids in (
        ("storage device", [d.name for d in props.disks]),
        ("network device", [key for key, _ in _nic_keys(props.nics)]),
    ):
        owners: dict[str, str] = {}
        for name in ids:
            other = owners.setdefault(construct_id(name), name)
            if other != name:
                problems.append(
                    f"{kind} names '{other}' and '{name}' are the same once '/' is written as '--'"
                )
    for disk in props.disks:
        if disk.image is not None and disk.image not in images:
            problems.append(f"disk '{disk.name}' uses unknown image '{disk.image}'")
        elif disk.image is not None and (images[disk.image].format == "iso") != (disk.type == "ide_cdrom"):
            problems.append(
                f"disk '{disk.name}': ISO images go into ide_cdrom devices, disk images into disks"
            )
    if problems:
        raise InputError(Issue(where, f"VM '{props.name}': {p}") for p in problems)


# --- applications -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretPlan:
    """A sensitive Terraform variable that carries a secret used in cloud-init."""

    name: str
    construct_id: str
    variable: str
    """The variable's name (its logical id)."""
    description: str


@dataclass
class ApplicationPlan:
    """An application's elements besides its VMs' resources, and its VMs in creation order."""

    secrets: list[SecretPlan]
    vms: list[tuple[VirtualMachineProps, str | None]]
    """In startup order (VMs that others wait for first), each with the machine type whose template it
    clones (None: it keeps its own ``template``, or has none)."""


def template_construct_id(machine_type: str) -> str:
    return f"Template-{machine_type}"


def template_logical_id(machine_type: str) -> str:
    """The stack-wide address of a template look-up: ``data.hypercore_vms.template-<machine type>``."""
    return f"template-{machine_type}"


def plan_application(props: ApplicationProps) -> ApplicationPlan:
    """Validate an application and order its VMs; raise InputError listing every problem."""
    validate_application(props)
    problems: list[Issue] = []
    for schedule in props.snapshot_schedules:
        try:
            validate_schedule(schedule)
        except InputError as exc:
            problems.extend(exc.issues)
    if problems:
        raise InputError(problems)
    secrets = [
        SecretPlan(
            name=name,
            construct_id=f"Secret-{name}",
            variable=variable_name(name),
            description=f'The secret "{name}" used in cloud-init; set TF_VAR_{variable_name(name)}.',
        )
        for name in sorted({n for vm in props.vms for n in _secret_names(vm)})
    ]
    vms: list[tuple[VirtualMachineProps, str | None]] = []
    for vm in _startup_order(props.vms):
        uses_template = vm.template is None and not vm.adopted and vm.machine_type in props.templates
        vms.append((vm, vm.machine_type if uses_template else None))
    return ApplicationPlan(secrets=secrets, vms=vms)


def _secret_names(vm: VirtualMachineProps) -> list[str]:
    init = vm.cloud_init
    if init is None:
        return []
    return [n for text in (init.user_data, init.meta_data) if text for n in secret_names(text)]


def _startup_order(vms: Sequence[VirtualMachineProps]) -> list[VirtualMachineProps]:
    """``vms`` with every VM after those it starts after (stable otherwise)."""
    by_name = {vm.name: vm for vm in vms}
    sorter = TopologicalSorter({vm.name: list(vm.start_after) for vm in vms})
    ordered: list[VirtualMachineProps] = []
    sorter.prepare()
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered += [by_name[name] for name in ready]
        sorter.done(*ready)
    return ordered


def validate_application(props: ApplicationProps) -> None:
    """Names must map to distinct Terraform addresses and construct ids, and startup order must be a known,
    acyclic order; report every problem at once."""
    issues: list[Issue] = []
    names = {vm.name for vm in props.vms}
    for vm in props.vms:
        unknown = [n for n in vm.start_after if n not in names or n == vm.name]
        if unknown:
            issues.append(
                Issue(
                    vm.source or Location(props.name),
                    f"VM '{vm.name}' starts after {', '.join(map(repr, unknown))}, which is not another VM of "
                    f"application '{props.name}'",
                    "name other VMs of the same application",
                )
            )
    if not issues:
        try:
            TopologicalSorter({vm.name: list(vm.start_after) for vm in props.vms}).prepare()
        except CycleError as exc:
            cycle = exc.args[1]
            issues.append(
                Issue(
                    Location(props.name),
                    "startup order has a cycle: " + " -> ".join(reversed(cycle)),
                    "remove one of these dependencies",
                )
            )
    seen: dict[str, VirtualMachineProps] = {}
    for vm in props.vms:
        key = logical_id(vm.name)
        if key in seen:
            issues.append(
                Issue(
                    vm.source or Location(props.name),
                    f"VM names '{seen[key].name}' and '{vm.name}' map to the same Terraform address '{key}'",
                    "rename one of them",
                )
            )
        seen[key] = vm
    schedules: dict[str, str] = {}
    for schedule in props.snapshot_schedules:
        for key in (f"address {logical_id(schedule.name)}", f"construct id {construct_id(schedule.name)}"):
            if key in schedules:
                issues.append(
                    Issue(
                        Location(props.name),
                        f"snapshot schedule names '{schedules[key]}' and '{schedule.name}' of application "
                        f"'{props.name}' have the same {key}",
                        "rename one of them",
                    )
                )
                break
        for key in (f"address {logical_id(schedule.name)}", f"construct id {construct_id(schedule.name)}"):
            schedules.setdefault(key, schedule.name)
    issues += _construct_id_clashes(props)
    if issues:
        raise InputError(issues)


def _construct_id_clashes(props: ApplicationProps) -> list[Issue]:
    """Images and VMs are children of the application (construct ids are their names, with ``/`` as ``--``):
    two of them with the same id cannot both exist."""
    owners: dict[str, str] = {}
    issues = []
    children: list[tuple[str, str, Location | None]] = [
        (f"image '{i.name}'", i.name, None) for i in props.images
    ]
    children += [(f"VM '{vm.name}'", vm.name, vm.source) for vm in props.vms]
    if props.snapshot_schedules:
        children.append(("its snapshot schedules", SCHEDULES_CONSTRUCT_ID, None))
    for what, name, where in children:
        key = construct_id(name)
        if key in owners:
            if owners[key] != what:  # the same name twice is reported by the address check
                issues.append(
                    Issue(
                        where or Location(props.name),
                        f"{owners[key]} and {what} of application '{props.name}' need the same construct id "
                        f"'{key}'",
                        "rename one of them",
                    )
                )
            continue
        owners[key] = what
    return issues


def construct_id(id: str) -> str:
    """A construct id as the constructs library stores it: ``/`` and newlines become ``--``."""
    return _SEPARATORS.sub("--", id)


_SEPARATORS = re.compile("[/\n]")
