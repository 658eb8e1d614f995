"""The Application construct: a multi-VM application's images, template look-ups and VMs."""

from __future__ import annotations

from dataclasses import replace

from constructs import Construct

from fleetform._cdktf import TerraformVariable
from fleetform.constructs._plan import (
    SCHEDULES_CONSTRUCT_ID,
    plan_application,
    template_construct_id,
    template_logical_id,
)
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import ApplicationProps
from fleetform.constructs.schedule import SnapshotSchedule
from fleetform.constructs.vm import VirtualMachine
from fleetform.errors import Issue
from fleetform.providers.hypercore.data_hypercore_vms import DataHypercoreVms


class Application(Construct):
    """Every image once, one ``hypercore_vms`` look-up per template in use, and the VMs.

    A VM without an explicit ``template`` is cloned from the template VM named for its machine type in
    ``props.templates`` (``data.hypercore_vms.template-<machine type>``), which gives it the machine type
    and lets HyperCore take its cloud-init data. A VM with a ``template`` (a UUID or a reference) is cloned
    from that; a VM with neither is created empty.

    Built from props alone, in any ``TerraformStack`` with a ``HypercoreProvider`` (``examples/library_app``)::

        Application(stack, "shop", props=ApplicationProps(
            name="shop",
            images=[DiskImageProps(name="ubuntu", source_url="https://example.com/ubuntu.img")],
            templates={"uefi": "fleetform-template-uefi"},
            vms=[VirtualMachineProps(name="shop-web", cpu=2, memory_bytes=4 * 1024**3,
                                     disks=[DiskProps(name="os", image="ubuntu", capacity_bytes=20 * 1024**3,
                                                      boot=1)])]))

    Terraform addresses are the image, snapshot schedule and VM names, not prefixed by this construct's id, and
    the template look-ups and secret variables have stack-wide names (``template-<machine type>``,
    ``secret_<name>``). A VM whose ``snapshot_schedule`` names one of ``props.snapshot_schedules`` attaches to
    it (``hypercore_vm.snapshot_schedule_uuid``); the schedules sit in a child construct ``SnapshotSchedules``.
    One application per stack is what fleetform synthesizes; two in one stack must not share image, schedule or
    VM names, and must name the same template VM for a machine type (the later look-up would replace the
    earlier one). ``images``, ``snapshot_schedules``, ``vms`` and ``templates`` hold the child constructs by
    name; ``warnings`` the disk sizes that had to be rounded. Invalid props raise
    :class:`fleetform.errors.InputError`.
    """

    def __init__(self, scope: Construct, id: str, *, props: ApplicationProps) -> None:
        plan = plan_application(props)
        super().__init__(scope, id)
        self.props = props
        self.images: dict[str, DiskImage] = {}
        for image in props.images:
            self.images[image.name] = DiskImage(self, image.name, props=image)
        self.snapshot_schedules: dict[str, SnapshotSchedule] = {}
        if props.snapshot_schedules:
            holder = Construct(self, SCHEDULES_CONSTRUCT_ID)
            for schedule in props.snapshot_schedules:
                self.snapshot_schedules[schedule.name] = SnapshotSchedule(
                    holder, schedule.name, props=schedule
                )
        self.templates: dict[str, DataHypercoreVms] = {}
        self.vms: dict[str, VirtualMachine] = {}
        self.warnings: list[Issue] = []
        self.secrets: dict[str, TerraformVariable] = {}
        for secret in plan.secrets:
            variable = TerraformVariable(
                self, secret.construct_id, type="string", sensitive=True, description=secret.description
            )
            variable.override_logical_id(secret.variable)
            self.secrets[secret.name] = variable
        # VMs that others wait for come first, so their power states exist when the others refer to them.
        for vm, machine_type in plan.vms:
            vm_props = vm if machine_type is None else replace(vm, template=self._template(machine_type))
            after = [self.vms[name] for name in vm.start_after]
            machine = VirtualMachine(
                self,
                vm.name,
                props=vm_props,
                images=self.images,
                start_after=after,
                snapshot_schedules=self.snapshot_schedules,
            )
            self.vms[vm.name] = machine
            self.warnings.extend(machine.warnings)

    def _template(self, machine_type: str) -> str:
        if machine_type not in self.templates:
            lookup = DataHypercoreVms(
                self, template_construct_id(machine_type), name=self.props.templates[machine_type]
            )
            lookup.override_logical_id(template_logical_id(machine_type))
            self.templates[machine_type] = lookup
        return self.templates[machine_type].vms.get(0).uuid
