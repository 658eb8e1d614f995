"""The SnapshotSchedule construct: a HyperCore snapshot schedule that VMs attach to."""

from __future__ import annotations

from constructs import Construct

from fleetform.constructs._element import Ref, Resource, ResourceGroup
from fleetform.constructs._plan import plan_schedule
from fleetform.constructs.props import SnapshotScheduleProps
from fleetform.providers.hypercore.vm_snapshot_schedule import VmSnapshotSchedule, VmSnapshotScheduleRules


class SnapshotSchedule(ResourceGroup):
    """A ``hypercore_vm_snapshot_schedule``: rules saying when HyperCore snapshots the VMs attached to it, and
    how long it keeps the snapshots.

    A VM attaches through ``hypercore_vm.snapshot_schedule_uuid``: give ``VirtualMachineProps.snapshot_schedule``
    the schedule's name and the ``VirtualMachine`` ``snapshot_schedules={props.name: schedule}`` (an
    ``Application`` does both for its ``snapshot_schedules``). A VM that no longer names the schedule is
    detached (the provider sends ``""``). The Terraform address is the construct id
    (``hypercore_vm_snapshot_schedule.<id>``; an ``Application`` uses the schedule's name). ``resource`` is the
    underlying resource as a typed binding (see ``VirtualMachine`` for how reaching for it works). Invalid props
    raise :class:`fleetform.errors.InputError` before any resource is created.
    """

    def __init__(self, scope: Construct, id: str, *, props: SnapshotScheduleProps) -> None:
        plan = plan_schedule(id, props)
        super().__init__(scope, id)
        self.props = props
        self._resources_are(
            [
                Resource(
                    "schedule",
                    VmSnapshotSchedule,
                    "Resource",
                    plan.logical_id,
                    dict(plan.attributes),
                    nested={"rules": VmSnapshotScheduleRules},
                )
            ]
        )

    @property
    def resource(self) -> VmSnapshotSchedule:
        """The ``hypercore_vm_snapshot_schedule``, as a typed binding."""
        resource: VmSnapshotSchedule = self._binding("schedule")
        return resource

    @property
    def uuid(self) -> str:
        """Reference to the schedule's UUID on the cluster (``resource.id``)."""
        return self.resource.id

    @property
    def _ref(self) -> Ref:
        return Ref(self, "schedule", "id")
