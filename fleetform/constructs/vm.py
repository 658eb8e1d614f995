"""The VirtualMachine construct: a HyperCore VM with its disks, NICs, boot order and power state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs import Construct

# _nic_keys: the NIC key rule, re-exported for the tests that check other modules follow it.
from fleetform.constructs._plan import _nic_keys as _nic_keys
from fleetform.constructs._plan import plan_vm
from fleetform.constructs._units import DiskSize
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import VirtualMachineProps
from fleetform.constructs.schedule import SnapshotSchedule
from fleetform.errors import Issue
from fleetform.providers.hypercore.disk import Disk
from fleetform.providers.hypercore.nic import Nic
from fleetform.providers.hypercore.vm import Vm, VmAffinityStrategy, VmClone
from fleetform.providers.hypercore.vm_boot_order import VmBootOrder
from fleetform.providers.hypercore.vm_power_state import VmPowerState


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

    ``images`` maps the names that ``DiskProps.image`` uses to ``DiskImage`` constructs (default: none);
    ``snapshot_schedules`` the names ``props.snapshot_schedule`` may use to ``SnapshotSchedule`` constructs
    (default: none).
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
        snapshot_schedules: Mapping[str, SnapshotSchedule] | None = None,
    ) -> None:
        images = images or {}
        schedules = snapshot_schedules or {}
        plan = plan_vm(
            id,
            props,
            {name: image.props for name, image in images.items()},
            {name: schedule.props for name, schedule in schedules.items()},
        )
        super().__init__(scope, id)
        self.props = props
        self.warnings: list[Issue] = plan.warnings
        self.disk_sizes: dict[str, DiskSize] = plan.disk_sizes

        if plan.snapshot_schedule is not None:
            plan.attributes["snapshot_schedule_uuid"] = schedules[plan.snapshot_schedule].uuid
        self.resource = Vm(
            self,
            "Resource",
            **plan.attributes,
            affinity_strategy=VmAffinityStrategy(),
            clone=VmClone(**plan.clone) if plan.clone is not None else None,
            lifecycle=plan.lifecycle,
        )
        self.resource.override_logical_id(plan.logical_id)

        self.disks: dict[str, Disk] = {}
        for disk in plan.disks:
            attrs = dict(disk.attributes)
            if disk.image is not None and disk.image_attribute is not None:
                attrs[disk.image_attribute] = images[disk.image].uuid
            resource = Disk(self, disk.construct_id, vm_uuid=self.uuid, lifecycle=disk.lifecycle, **attrs)
            resource.override_logical_id(disk.logical_id)
            self.disks[disk.name] = resource
        self.nics: dict[str, Nic] = {}
        for nic in plan.nics:
            nic_resource = Nic(self, nic.construct_id, vm_uuid=self.uuid, **nic.attributes)
            nic_resource.override_logical_id(nic.logical_id)
            self.nics[nic.key] = nic_resource

        self.boot_order: VmBootOrder | None = None
        if plan.boot_devices is not None:
            boot_devices = [self._device(kind, key).id for kind, key in plan.boot_devices]
            self.boot_order = VmBootOrder(self, "BootOrder", vm_uuid=self.uuid, boot_devices=boot_devices)
            self.boot_order.override_logical_id(plan.logical_id)

        dependencies: list[Any] = [self._device(kind, key) for kind, key in plan.depends_on]
        # Startup order: this VM powers on only after the VMs it waits for are running.
        dependencies += [other.power_state for other in sorted(start_after, key=lambda vm: vm.name)]
        self.power_state: VmPowerState = VmPowerState(
            self,
            "PowerState",
            vm_uuid=self.uuid,
            state=plan.power_state,
            depends_on=dependencies or None,
        )
        self.power_state.override_logical_id(plan.logical_id)

    def _device(self, kind: str, key: str) -> Any:
        if kind == "disk":
            return self.disks[key]
        if kind == "nic":
            return self.nics[key]
        return self.boot_order

    @property
    def uuid(self) -> str:
        """Reference to the VM's UUID on the cluster."""
        return self.resource.id

    @property
    def name(self) -> str:
        """The VM's name on the cluster."""
        return self.props.name
