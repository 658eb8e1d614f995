"""An Application as Terraform JSON, in plain Python: what its constructs would synthesize, without them.

:class:`~fleetform.constructs.application.Application` creates one jsii object per resource (a VM of the seed
apps is about seven), and each costs several synchronous round trips to cdktf's Node process, at construction
and again at synth. :func:`render_application` computes the same JSON from the same plan
(:mod:`fleetform.constructs._plan`): every resource with cdktf's ``//`` metadata (its construct path and
logical id), references written as ``${type.logical_id.attribute}``, ``depends_on`` as addresses, and the
fragments merged in construct-tree order the way cdktf merges them. :class:`RenderedApplication` hands the
result to cdktf as one element, so a stack costs a handful of round trips whatever its size.

No cdktf import here: the renderer is plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fleetform.constructs._plan import (
    SCHEDULES_CONSTRUCT_ID,
    VmPlan,
    construct_id,
    plan_application,
    plan_image,
    plan_schedule,
    plan_vm,
    template_construct_id,
    template_logical_id,
)
from fleetform.constructs.props import ApplicationProps, DiskImageProps, SnapshotScheduleProps
from fleetform.errors import Issue

_VM = "hypercore_vm"
_DISK = "hypercore_disk"
_NIC = "hypercore_nic"
_BOOT_ORDER = "hypercore_vm_boot_order"
_POWER_STATE = "hypercore_vm_power_state"
_TEMPLATES = "hypercore_vms"


@dataclass
class Rendered:
    """An application's Terraform JSON fragment and what building it found."""

    fragment: dict[str, Any] = field(default_factory=dict)
    """``resource``, ``data`` and ``variable`` sections (only those that are not empty)."""
    warnings: list[Issue] = field(default_factory=list)
    """As ``Application.warnings``: disk sizes that had to be rounded, VM by VM in creation order."""
    resources: list[str] = field(default_factory=list)
    """``type.name`` of every resource, in creation order."""


def render_application(props: ApplicationProps, path: str) -> Rendered:
    """The JSON an ``Application`` with construct path ``path`` (e.g. ``shop/app``) synthesizes to. Raises
    InputError exactly where the constructs would."""
    plan = plan_application(props)
    out = _Writer(path)
    images: dict[str, tuple[DiskImageProps, str]] = {}
    for image in props.images:
        image_plan = plan_image(image.name, image)
        out.resource(
            image_plan.type, image_plan.logical_id, (image.name, "Resource"), dict(image_plan.attributes)
        )
        images[image.name] = (image, f"{image_plan.type}.{image_plan.logical_id}")
    schedules: dict[str, tuple[SnapshotScheduleProps, str]] = {}
    for schedule in props.snapshot_schedules:
        schedule_plan = plan_schedule(schedule.name, schedule)
        ids = (SCHEDULES_CONSTRUCT_ID, schedule.name, "Resource")
        out.resource(schedule_plan.type, schedule_plan.logical_id, ids, dict(schedule_plan.attributes))
        schedules[schedule.name] = (schedule, f"{schedule_plan.type}.{schedule_plan.logical_id}")
    for secret in plan.secrets:
        attrs = {"description": secret.description, "sensitive": True, "type": "string"}
        _merge(out.rendered.fragment, {"variable": {secret.variable: attrs}})
    templates: set[str] = set()
    power_states: dict[str, str] = {}
    by_name = {vm.name: vm for vm, _ in plan.vms}
    for vm, machine_type in plan.vms:
        if machine_type is not None:
            if machine_type not in templates:
                templates.add(machine_type)
                attrs = {"name": props.templates[machine_type]}
                out.data(
                    _TEMPLATES,
                    template_logical_id(machine_type),
                    (template_construct_id(machine_type),),
                    attrs,
                )
            reference = f"${{data.{_TEMPLATES}.{template_logical_id(machine_type)}.vms[0].uuid}}"
            vm = replace(vm, template=reference)
        vm_plan = plan_vm(
            vm.name,
            vm,
            {name: image for name, (image, _) in images.items()},
            {name: schedule for name, (schedule, _) in schedules.items()},
        )
        # As VirtualMachine(start_after=...): the VMs it waits for, by name.
        waits = sorted((by_name[name] for name in vm.start_after), key=lambda other: other.name)
        after = [power_states[other.name] for other in waits]
        power_states[vm.name] = _render_vm(out, vm.name, vm_plan, images, after, schedules)
        out.rendered.warnings.extend(vm_plan.warnings)
    return out.rendered


def _render_vm(
    out: _Writer,
    id: str,
    plan: VmPlan,
    images: Mapping[str, tuple[DiskImageProps, str]],
    after: list[str],
    schedules: Mapping[str, tuple[SnapshotScheduleProps, str]],
) -> str:
    """Write one VM's resources; the address of its power state."""
    base = plan.logical_id
    vm_id = f"${{{_VM}.{base}.id}}"
    attrs: dict[str, Any] = {**plan.attributes, "affinity_strategy": {}}
    if plan.snapshot_schedule is not None:
        attrs["snapshot_schedule_uuid"] = f"${{{schedules[plan.snapshot_schedule][1]}.id}}"
    if plan.clone is not None:
        attrs["clone"] = dict(plan.clone)
    if plan.lifecycle is not None:
        attrs["lifecycle"] = plan.lifecycle
    out.resource(_VM, base, (id, "Resource"), attrs)
    addresses: dict[tuple[str, str], str] = {}
    for disk in plan.disks:
        attrs = {"vm_uuid": vm_id, **disk.attributes}
        if disk.image is not None and disk.image_attribute is not None:
            attrs[disk.image_attribute] = f"${{{images[disk.image][1]}.id}}"
        if disk.lifecycle is not None:
            attrs["lifecycle"] = disk.lifecycle
        out.resource(_DISK, disk.logical_id, (id, disk.construct_id), attrs)
        addresses["disk", disk.name] = f"{_DISK}.{disk.logical_id}"
    for nic in plan.nics:
        out.resource(_NIC, nic.logical_id, (id, nic.construct_id), {"vm_uuid": vm_id, **nic.attributes})
        addresses["nic", nic.key] = f"{_NIC}.{nic.logical_id}"
    if plan.boot_devices is not None:
        devices = [f"${{{addresses[device]}.id}}" for device in plan.boot_devices]
        out.resource(_BOOT_ORDER, base, (id, "BootOrder"), {"vm_uuid": vm_id, "boot_devices": devices})
        addresses["boot_order", ""] = f"{_BOOT_ORDER}.{base}"
    depends_on = [addresses[device] for device in plan.depends_on] + after
    attrs = {"vm_uuid": vm_id, "state": plan.power_state}
    if depends_on:
        attrs["depends_on"] = depends_on
    out.resource(_POWER_STATE, base, (id, "PowerState"), attrs)
    return f"{_POWER_STATE}.{base}"


class _Writer:
    """Adds elements to a fragment as cdktf does: each with its ``//`` metadata, merged in tree order."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.rendered = Rendered()

    def resource(self, rtype: str, name: str, ids: tuple[str, ...], attributes: dict[str, Any]) -> None:
        self._add("resource", rtype, name, ids, attributes)
        self.rendered.resources.append(f"{rtype}.{name}")

    def data(self, rtype: str, name: str, ids: tuple[str, ...], attributes: dict[str, Any]) -> None:
        self._add("data", rtype, name, ids, attributes)

    def _add(
        self, section: str, rtype: str, name: str, ids: tuple[str, ...], attributes: dict[str, Any]
    ) -> None:
        path = "/".join([self.path, *(construct_id(i) for i in ids)])
        attributes["//"] = {"metadata": {"path": path, "uniqueId": name}}
        _merge(self.rendered.fragment, {section: {rtype: {name: attributes}}})


def _merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    """cdktf's ``deepMerge``: objects merge key by key, arrays concatenate, anything else replaces."""
    for key, value in source.items():
        if isinstance(value, Mapping):
            existing = target.get(key)
            if not isinstance(existing, dict):
                target[key] = existing = {}
            _merge(existing, value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            target[key] = [*target[key], *value]
        elif value is None:
            target.pop(key, None)
        else:
            target[key] = value
