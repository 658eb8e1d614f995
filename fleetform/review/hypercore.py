"""What a planned change does on HyperCore, which the plan itself does not say (provider v1.4.0 semantics).

Terraform shows every change of the ``hypercore`` provider as "update in-place" or "destroy": the provider has
no ``RequiresReplace`` anywhere. On the cluster the same word means different things:

======================================  =====================  ==================================================
change                                  effect                 on HyperCore
======================================  =====================  ==================================================
``hypercore_vm`` vcpu, memory           ``power-cycle``        patched now, in effect after the next power cycle
``hypercore_vm`` name, description,     ``in-place``           patched
tags, affinity, snapshot schedule
``hypercore_vm`` clone.*, import.*      ``ignored``            create-only: the new value is only written to
(cloud-init, template)                                         state. Rebuild with ``-replace`` or
                                                               ``lifecycle.replace_triggered_by``
``hypercore_disk`` size up / down       ``in-place`` /         HyperCore grows disks, never shrinks them
                                        ``fails``
``hypercore_disk``                      ``ignored``            the disk keeps its data; nothing is copied again
source_virtual_disk_id
``hypercore_disk`` delete               ``destroy``            fails on a running VM ("Still in use")
``hypercore_nic`` vlan, type, mac       ``in-place``           patched
``hypercore_vm_power_state`` state      ``power-off`` /        RUNNING -> SHUTOFF/PAUSED shuts the VM down;
                                        ``power-on``           destroying the resource shuts it down too
``hypercore_virtual_disk`` name,        ``ignored``            the uploaded image stays as it is
source_url
``hypercore_vm_snapshot_schedule``     ``in-place``           patched; a VM whose ``snapshot_schedule_uuid``
name, rules                                                    becomes ``""`` is detached from its schedule
``hypercore_vm`` replace or delete      ``replace`` /          HyperCore deletes a VM *with its disks*; disks
                                        ``destroy``            whose ``vm_uuid`` follows a replaced VM show as
                                                               updates but are lost (``lost-with-vm``)
======================================  =====================  ==================================================

**Data disks** (the rule ``fleetform plan``'s guard and the review share): a ``hypercore_disk`` is a *data*
disk unless it is a CD-ROM (``IDE_CDROM``) or its id is one of the ``boot_devices`` of its VM's
``hypercore_vm_boot_order`` (prior state; planned values when the boot order is new). fleetform puts exactly
the manifest's disks with a ``boot`` index into the boot order, and guards every other disk with
``prevent_destroy``, so the two agree. A VM without a boot order in the plan has only data disks, as far as
this rule can tell: when in doubt, a disk is protected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from fleetform.review.plan import Plan, ResourceChange
from fleetform.review.values import get, marked

Effect: TypeAlias = Literal[
    "create",
    "destroy",
    "replace",
    "in-place",
    "power-cycle",
    "ignored",
    "fails",
    "power-off",
    "power-on",
    "follows-vm",
    "lost-with-vm",
]
EFFECT_TEXT: dict[str, str] = {
    "create": "created",
    "destroy": "destroyed",
    "replace": "replaced (destroyed, then created)",
    "in-place": "in place",
    "power-cycle": "in place; takes effect after a power cycle",
    "ignored": "ignored by the provider after create",
    "fails": "will fail on HyperCore",
    "power-off": "powers the VM off",
    "power-on": "powers the VM on",
    "follows-vm": "follows its replaced VM",
    "lost-with-vm": "lost with its VM",
}

VM = "hypercore_vm"
DISK = "hypercore_disk"
NIC = "hypercore_nic"
BOOT_ORDER = "hypercore_vm_boot_order"
POWER_STATE = "hypercore_vm_power_state"
VIRTUAL_DISK = "hypercore_virtual_disk"
ISO = "hypercore_iso"
SNAPSHOT_SCHEDULE = "hypercore_vm_snapshot_schedule"
VM_PART_TYPES = (VM, BOOT_ORDER, POWER_STATE)
DEVICE_TYPES = (DISK, NIC)
_OFF_STATES = ("SHUTOFF", "PAUSED")

# Attributes never worth showing: computed ids and read-only mirrors of the VM.
_HIDDEN: dict[str, tuple[str, ...]] = {
    "*": ("id",),
    DISK: ("slot",),
    POWER_STATE: ("vm",),
}


def hidden(rtype: str, path: Sequence[str | int]) -> bool:
    """Whether attribute ``path`` of a ``rtype`` is computed noise that a review leaves out."""
    head = path[0] if path else ""
    return head in _HIDDEN["*"] or head in _HIDDEN.get(rtype, ())


def vm_key(rc_type: str, name: str) -> str | None:
    """The VM (Terraform name of its ``hypercore_vm``) a resource belongs to: itself, or the part of a
    device's name before ``__``; None for application-level resources (images, ISOs)."""
    if rc_type in VM_PART_TYPES:
        return name
    if rc_type in DEVICE_TYPES:
        vm, sep, _ = name.partition("__")
        return vm if sep else None
    return None


def device_name(rc_type: str, name: str) -> str:
    """The manifest name part of a device's Terraform name (``web__system`` -> ``system``)."""
    if rc_type in DEVICE_TYPES:
        _, sep, device = name.partition("__")
        return device if sep else name
    return name


@dataclass(frozen=True)
class AttributeEffect:
    """What changing one attribute does."""

    effect: Effect
    note: str = ""


def attribute_effect(rc: ResourceChange, path: tuple[str | int, ...]) -> AttributeEffect:
    """The effect on HyperCore of updating attribute ``path`` of ``rc`` (an in-place update)."""
    head = str(path[0]) if path else ""
    before, after = get(rc.before, path), get(rc.after, path)
    unknown = marked(rc.after_unknown, path)
    if head == "vm_uuid" and unknown:
        return AttributeEffect("follows-vm", "its VM is replaced")
    if rc.type == VM:
        if head in ("vcpu", "memory"):
            return AttributeEffect(
                "power-cycle",
                "the provider patches the VM without a reboot; HyperCore uses it from the next start",
            )
        if head in ("clone", "import"):
            return AttributeEffect("ignored", rebuild_hint(rc.address))
        if head == "snapshot_schedule_uuid" and after == "":
            return AttributeEffect(
                "in-place", "detached from its snapshot schedule: no more automatic snapshots"
            )
        return AttributeEffect("in-place")
    if rc.type == DISK:
        if (
            head == "size"
            and isinstance(before, int | float)
            and isinstance(after, int | float)
            and after < before
        ):
            return AttributeEffect("fails", "HyperCore can only grow a disk")
        if head == "source_virtual_disk_id":
            return AttributeEffect(
                "ignored",
                f"the disk keeps its data and is not copied again; `-replace={rc.address}` would destroy it and "
                "copy the new image",
            )
        if head == "iso_uuid":
            return AttributeEffect("in-place", "the drive's ISO is swapped")
        return AttributeEffect("in-place")
    if rc.type == POWER_STATE and head == "state":
        if after in _OFF_STATES and before not in _OFF_STATES:
            return AttributeEffect("power-off", "ACPI shutdown, then a forced stop after the timeout")
        if after == "RUNNING" and before != "RUNNING":
            return AttributeEffect("power-on")
        return AttributeEffect("in-place")
    if rc.type == BOOT_ORDER:
        return AttributeEffect("in-place", "used from the next boot")
    if rc.type == VIRTUAL_DISK:
        return AttributeEffect(
            "ignored", "the uploaded image stays as it is; disks copied from it keep their data"
        )
    if rc.type == ISO and head == "source_url":
        return AttributeEffect("ignored", "the uploaded ISO stays as it is")
    return AttributeEffect("in-place")


def rebuild_hint(address: str) -> str:
    """How to make HyperCore take a create-only change (cloud-init, template) of a VM."""
    return (
        f"to apply it, rebuild the VM: `fleetform plan --replace {address}` (or `terraform apply "
        f"-replace={address}`), or add `lifecycle.replace_triggered_by`; a rebuild deletes the VM with its disks"
    )


# --- data disks -------------------------------------------------------------------------------------------


def _values(plan: Plan, address: str) -> dict[str, Any]:
    rc = plan.change(address)
    for candidate in (
        plan.prior.get(address),
        rc.before if rc is not None else None,
        plan.planned.get(address),
        rc.after if rc is not None else None,
    ):
        if isinstance(candidate, dict):
            return candidate
    return {}


def boot_devices(plan: Plan, vm_uuid: str | None) -> list[str] | None:
    """The boot devices (ids) of the VM with this UUID: its boot order's prior state, else planned values;
    None when the VM has no boot order in the plan."""
    if vm_uuid is None:
        return None
    for values in (plan.prior, plan.planned):
        for address, attrs in values.items():
            if address.startswith(BOOT_ORDER + ".") and attrs.get("vm_uuid") == vm_uuid:
                devices = attrs.get("boot_devices")
                return [str(d) for d in devices] if isinstance(devices, list) else []
    return None


def is_data_disk(plan: Plan, address: str) -> bool:
    """Whether the ``hypercore_disk`` at ``address`` holds data (module docstring: the rule)."""
    values = _values(plan, address)
    if values.get("type") == "IDE_CDROM":
        return False
    devices = boot_devices(plan, values.get("vm_uuid"))
    if devices is None:
        return True
    return values.get("id") not in devices


@dataclass(frozen=True)
class DiskLoss:
    """A disk whose contents a plan destroys."""

    address: str
    vm: str | None
    """Terraform name of the disk's VM."""
    vm_name: str | None
    """The VM's name on HyperCore."""
    disk: str
    size_gb: float | None
    data: bool
    why: str
    with_vm: bool = False
    """The disk itself is not deleted in the plan (Terraform may show an update), but its VM is."""


def vm_name(plan: Plan, key: str | None) -> str | None:
    """The HyperCore name of the VM whose ``hypercore_vm`` is named ``key``."""
    if key is None:
        return None
    values = _values(plan, f"{VM}.{key}")
    name = values.get("name")
    return str(name) if isinstance(name, str) else key


def disk_losses(plan: Plan) -> list[DiskLoss]:
    """Every disk whose data the plan destroys: deleted or replaced disks, and the disks of deleted or replaced
    VMs (HyperCore deletes a VM's disks with it, even where Terraform shows the disk as updated)."""
    losses: dict[str, DiskLoss] = {}
    vm_changes = {rc.name: rc for rc in plan.managed() if rc.type == VM and rc.deposed is None}
    for rc in plan.managed():
        if rc.type != DISK or rc.deposed is not None:
            continue
        key = vm_key(rc.type, rc.name)
        vm_rc = vm_changes.get(key) if key is not None else None
        why = ""
        with_vm = False
        if rc.action == "delete":
            if vm_rc is not None and vm_rc.action == "delete":
                why = vm_delete_reason(vm_rc)
            else:
                why = "the disk is " + _delete_reason(rc)
        elif rc.action == "replace":
            why = "the disk is replaced" + (f" ({replace_reason(rc)})" if replace_reason(rc) else "")
        elif vm_rc is not None and vm_rc.action in ("replace", "delete") and rc.action in ("update", "no-op"):
            verb = "replaced" if vm_rc.action == "replace" else "destroyed"
            why = f"its VM is {verb}: HyperCore deletes a VM's disks with it"
            with_vm = True
        if not why:
            continue
        values = _values(plan, rc.address)
        size = values.get("size")
        losses[rc.address] = DiskLoss(
            address=rc.address,
            vm=key,
            vm_name=vm_name(plan, key),
            disk=device_name(rc.type, rc.name),
            size_gb=float(size) if isinstance(size, int | float) else None,
            data=is_data_disk(plan, rc.address),
            why=why,
            with_vm=with_vm,
        )
    return list(losses.values())


DELETED_OUTSIDE = "deleted_outside_fleetform"
"""The ``action_reason`` ``fleetform drift`` gives an object it found missing on the cluster."""


def vm_delete_reason(rc: ResourceChange) -> str:
    if rc.action_reason == "delete_because_no_resource_config":
        return "its VM is removed from the manifest"
    if rc.action_reason == DELETED_OUTSIDE:
        return "its VM was deleted outside fleetform"
    return "its VM is destroyed"


def _delete_reason(rc: ResourceChange) -> str:
    return {
        "delete_because_no_resource_config": "removed from the manifest",
        "delete_because_no_module": "removed with its module",
        "delete_because_count_index": "removed (count)",
        "delete_because_each_key": "removed (for_each)",
        DELETED_OUTSIDE: "deleted outside fleetform (missing on the cluster)",
    }.get(rc.action_reason or "", "destroyed")


_REASONS = {
    "replace_because_tainted": "the resource is tainted",
    "replace_by_request": "requested with -replace",
    "replace_because_cannot_update": "an attribute cannot be updated in place",
    "replace_by_triggers": "lifecycle.replace_triggered_by",
    "delete_because_no_resource_config": "no longer in the manifest",
    "delete_because_no_module": "its module is gone",
    "delete_because_wrong_repetition": "count/for_each changed",
    "delete_because_count_index": "count index no longer exists",
    "delete_because_each_key": "for_each key no longer exists",
    "delete_because_no_move_target": "moved block target is gone",
    "read_because_config_unknown": "configuration is unknown until apply",
    "read_because_dependency_pending": "a dependency changes first",
    DELETED_OUTSIDE: "deleted outside fleetform: missing on the cluster",
}


def reason_text(rc: ResourceChange) -> str:
    """``action_reason`` in words (empty when the plan gives none)."""
    if rc.action_reason is None:
        return ""
    return _REASONS.get(rc.action_reason, rc.action_reason.replace("_", " "))


def replace_reason(rc: ResourceChange) -> str:
    """Why a resource is replaced: its ``action_reason`` and the attributes in ``replace_paths``."""
    parts = [reason_text(rc)] if rc.action_reason else []
    if rc.replace_paths:
        paths = ", ".join(".".join(str(p) for p in path) for path in rc.replace_paths)
        parts.append(f"forced by {paths}")
    return "; ".join(p for p in parts if p)
