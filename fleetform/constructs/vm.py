"""The VirtualMachine construct: a HyperCore VM with its disks, NICs, boot order and power state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from constructs import Construct

# _nic_keys: the NIC key rule, re-exported for the tests that check other modules follow it.
from fleetform.constructs._element import Ref, Resource, ResourceGroup
from fleetform.constructs._plan import _nic_keys as _nic_keys
from fleetform.constructs._plan import plan_vm
from fleetform.constructs._stack import shared
from fleetform.constructs._units import DiskSize
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import VirtualMachineProps
from fleetform.constructs.schedule import SnapshotSchedule
from fleetform.errors import InputError, Issue, Location
from fleetform.providers.hypercore.disk import Disk
from fleetform.providers.hypercore.nic import Nic
from fleetform.providers.hypercore.vm import Vm, VmAffinityStrategy, VmClone
from fleetform.providers.hypercore.vm_boot_order import VmBootOrder
from fleetform.providers.hypercore.vm_power_state import VmPowerState

if TYPE_CHECKING:
    from fleetform.constructs.application import TemplateLookup


class VirtualMachine(ResourceGroup):
    """A VM cloned from a template (or created empty), plus one resource per disk and NIC.

    Terraform addresses come from the construct id (an ``Application`` uses the VM's name), not from the
    scope's path: ``hypercore_vm.<id>``, ``hypercore_disk.<id>__<disk>``, ``hypercore_nic.<id>__<network>``,
    ``hypercore_vm_boot_order.<id>``, ``hypercore_vm_power_state.<id>``; two resources of one stack with the same
    address fail synthesis, and renaming a VM replaces it. The power state depends on every disk, NIC and the
    boot order, so on destroy the VM is shut down before its disks are removed.

    The underlying resources are the escape hatch for what the props do not model, as typed bindings
    (``fleetform.providers.hypercore``): ``resource`` (the ``hypercore_vm``), ``disks`` and ``nics`` (by name and
    NIC key), ``boot_order`` and ``power_state``; ``add_override``, ``override_logical_id`` and every other
    cdktf method work on them, and references to them follow an overridden logical id. Until one of them is
    reached for, fleetform writes them itself, with one cdktf element for all of a stack's constructs (the same
    JSON, much faster for big stacks); reaching for one turns all of the VM's resources into bindings.

    Usable alone in any ``TerraformStack`` with a ``HypercoreProvider``::

        golden = DataHypercoreVms(stack, "golden", name="golden-uefi")
        vm = VirtualMachine(stack, "jumphost", props=VirtualMachineProps(
            name="jumphost", cpu=1, memory_bytes=2 * 1024**3, template=golden.vms.get(0).uuid))
        vm.resource.add_override("lifecycle.ignore_changes", ["tags"])

    ``images`` maps the names that ``DiskProps.image`` uses to ``DiskImage`` constructs (default: none);
    ``snapshot_schedules`` the names ``props.snapshot_schedule`` may use to ``SnapshotSchedule`` constructs
    (default: none); ``start_after`` lists VMs this one powers on after (default: none). ``template_lookup``
    (an ``Application``'s look-up of its template by name) replaces ``props.template``, and ``application`` (the
    application's name) goes into the default description (default: none of either). Invalid props raise
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
        snapshot_schedules: Mapping[str, SnapshotSchedule] | None = None,
        template_lookup: TemplateLookup | None = None,
        application: str | None = None,
    ) -> None:
        images = images or {}
        schedules = snapshot_schedules or {}
        _same_stack(scope, props, [*images.values(), *schedules.values(), *start_after])
        plan = plan_vm(
            id,
            props,
            {name: image.props for name, image in images.items()},
            {name: schedule.props for name, schedule in schedules.items()},
            template=None if template_lookup is None else template_lookup._ref,
            application=application,
        )
        super().__init__(scope, id)
        self.props = props
        self.warnings: list[Issue] = plan.warnings
        self.disk_sizes: dict[str, DiskSize] = plan.disk_sizes
        self._disk_names = [disk.name for disk in plan.disks]
        self._nic_keys = [nic.key for nic in plan.nics]

        vm_id = Ref(self, "vm", "id")
        attributes: dict[str, Any] = {**plan.attributes, "affinity_strategy": {}}
        if plan.snapshot_schedule is not None:
            attributes["snapshot_schedule_uuid"] = schedules[plan.snapshot_schedule]._ref
        if plan.clone is not None:
            attributes["clone"] = plan.clone
        resources = [
            Resource(
                "vm",
                Vm,
                "Resource",
                plan.logical_id,
                attributes,
                plan.lifecycle,
                nested={"clone": VmClone, "affinity_strategy": VmAffinityStrategy},
            )
        ]
        for disk in plan.disks:
            attributes = {"vm_uuid": vm_id, **disk.attributes}
            if disk.image is not None and disk.image_attribute is not None:
                attributes[disk.image_attribute] = images[disk.image]._ref
            resources.append(
                Resource(
                    f"disk:{disk.name}", Disk, disk.construct_id, disk.logical_id, attributes, disk.lifecycle
                )
            )
        for nic in plan.nics:
            attributes = {"vm_uuid": vm_id, **nic.attributes}
            resources.append(Resource(f"nic:{nic.key}", Nic, nic.construct_id, nic.logical_id, attributes))
        if plan.boot_devices is not None:
            devices = [Ref(self, f"{kind}:{key}", "id") for kind, key in plan.boot_devices]
            attributes = {"vm_uuid": vm_id, "boot_devices": devices}
            resources.append(Resource("boot_order", VmBootOrder, "BootOrder", plan.logical_id, attributes))
        depends_on = [
            Ref(self, "boot_order" if kind == "boot_order" else f"{kind}:{key}")
            for kind, key in plan.depends_on
        ]
        # Startup order: this VM powers on only after the VMs it waits for are running.
        depends_on += [Ref(other, "power_state") for other in sorted(start_after, key=lambda vm: vm.name)]
        attributes = {"vm_uuid": vm_id, "state": plan.power_state}
        resources.append(
            Resource(
                "power_state", VmPowerState, "PowerState", plan.logical_id, attributes, depends_on=depends_on
            )
        )
        self._resources_are(resources)

    @property
    def resource(self) -> Vm:
        """The ``hypercore_vm``, as a typed binding."""
        vm: Vm = self._binding("vm")
        return vm

    @property
    def disks(self) -> dict[str, Disk]:
        """The ``hypercore_disk`` resources by device name, as typed bindings."""
        return {name: self._binding(f"disk:{name}") for name in self._disk_names}

    @property
    def nics(self) -> dict[str, Nic]:
        """The ``hypercore_nic`` resources by NIC key (the network name; ``<network>__2`` for a second NIC on
        it), as typed bindings."""
        return {key: self._binding(f"nic:{key}") for key in self._nic_keys}

    @property
    def boot_order(self) -> VmBootOrder | None:
        """The ``hypercore_vm_boot_order`` as a typed binding, or None when the VM has no boot devices."""
        if "boot_order" not in self._specs:
            return None
        boot_order: VmBootOrder = self._binding("boot_order")
        return boot_order

    @property
    def power_state(self) -> VmPowerState:
        """The ``hypercore_vm_power_state``, as a typed binding."""
        power_state: VmPowerState = self._binding("power_state")
        return power_state

    def add_override(self, path: str, value: Any) -> None:
        """``add_override`` on the ``hypercore_vm`` (``vm.resource``), the resource a VM stands for; the disks,
        NICs, boot order and power state have their own (``vm.disks["os"].add_override(...)``)."""
        self.resource.add_override(path, value)

    def override_logical_id(self, new_logical_id: str) -> None:
        """``override_logical_id`` on the ``hypercore_vm``: its address becomes ``hypercore_vm.<new id>``, and
        references to it (the disks', NICs', power state's ``vm_uuid``) follow."""
        self.resource.override_logical_id(new_logical_id)

    @property
    def uuid(self) -> str:
        """Reference to the VM's UUID on the cluster (``resource.id``)."""
        return self.resource.id

    @property
    def name(self) -> str:
        """The VM's name on the cluster."""
        return self.props.name


def _same_stack(scope: Construct, props: VirtualMachineProps, others: Sequence[ResourceGroup]) -> None:
    """A VM's references are written as addresses of its own stack: what it refers to must be in it."""
    stack = shared(scope)
    elsewhere = [other for other in others if other._fleetform_shared is not stack]
    if elsewhere:
        raise InputError(
            Issue(
                props.source or Location(props.name),
                f"VM '{props.name}' refers to {other._fleetform_path}, which is in another stack",
                "give the VM images, snapshot schedules and VMs to start after from its own stack",
            )
            for other in elsewhere
        )
