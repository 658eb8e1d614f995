"""The Application construct: a multi-VM application's images, template look-ups and VMs."""

from __future__ import annotations

from collections.abc import Iterator

from constructs import Construct

from fleetform._cdktf import TerraformVariable
from fleetform.constructs._element import Ref, Resource, ResourceGroup, _path_of
from fleetform.constructs._plan import (
    SCHEDULES_CONSTRUCT_ID,
    construct_id,
    plan_application,
    template_construct_id,
    template_logical_id,
)
from fleetform.constructs._stack import shared
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import ApplicationProps
from fleetform.constructs.schedule import SnapshotSchedule
from fleetform.constructs.vm import VirtualMachine
from fleetform.errors import InputError, Issue, Location
from fleetform.providers.hypercore.data_hypercore_vms import DataHypercoreVms


class TemplateLookup(ResourceGroup):
    """The look-up of a template VM by name, ``data.hypercore_vms.template-<machine type>``: one per machine
    type and stack, shared by the applications of the stack. ``resource`` is the ``hypercore_vms`` data source as
    a typed binding (see ``VirtualMachine`` for how reaching for it works)."""

    def __init__(self, scope: Construct, machine_type: str, *, template: str) -> None:
        super().__init__(scope, template_construct_id(machine_type))
        self.machine_type = machine_type
        self.template = template
        """The name of the template VM on the cluster."""
        logical_id = template_logical_id(machine_type)
        self._resources_are(
            [Resource("lookup", DataHypercoreVms, "Resource", logical_id, {"name": template})]
        )

    @property
    def resource(self) -> DataHypercoreVms:
        """The ``hypercore_vms`` data source, as a typed binding."""
        resource: DataHypercoreVms = self._binding("lookup")
        return resource

    @property
    def uuid(self) -> str:
        """Reference to the template VM's UUID (``resource.vms.get(0).uuid``)."""
        uuid: str = self.resource.vms.get(0).uuid
        return uuid

    @property
    def _ref(self) -> Ref:
        return Ref(self, "lookup", "vms[0].uuid")


class Application(Construct):
    """Every image once, one ``hypercore_vms`` look-up per template in use, and the VMs.

    A VM without an explicit ``template`` is cloned from the template VM named for its machine type in
    ``props.templates`` (``data.hypercore_vms.template-<machine type>``), which gives it the machine type
    and lets HyperCore take its cloud-init data. A VM with a ``template`` (a UUID or a reference) is cloned
    from that; a VM with neither is created empty. A VM without a description gets
    ``<application>/<vm> (managed by fleetform)``.

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
    ``secret_<name>``), shared by the applications of a stack (which must then name the same template VM for a
    machine type). A VM whose ``snapshot_schedule`` names one of ``props.snapshot_schedules`` attaches to it
    (``hypercore_vm.snapshot_schedule_uuid``); the schedules sit in a child construct ``SnapshotSchedules``.
    Two applications in one stack must not share image, schedule or VM names: synthesis fails with both
    construct paths. ``images``, ``snapshot_schedules``, ``vms`` and ``templates`` hold the child constructs by
    name, with their underlying resources as escape hatches (``app.vms["web"].resource.add_override(...)``);
    ``warnings`` the disk sizes that had to be rounded. Invalid props raise :class:`fleetform.errors.InputError`.
    """

    def __init__(self, scope: Construct, id: str, *, props: ApplicationProps) -> None:
        plan = plan_application(props)
        stack = shared(scope)
        _check_templates(
            props, {machine_type for _, machine_type in plan.vms if machine_type}, stack.templates
        )
        super().__init__(scope, id)
        # What the children would otherwise each ask Node for.
        self._fleetform_path = f"{_path_of(scope)}/{construct_id(id)}"
        self._fleetform_shared = stack
        self.props = props
        self.images: dict[str, DiskImage] = {}
        for image in props.images:
            self.images[image.name] = DiskImage(self, image.name, props=image)
        self.snapshot_schedules: dict[str, SnapshotSchedule] = {}
        if props.snapshot_schedules:
            holder = Construct(self, SCHEDULES_CONSTRUCT_ID)
            setattr(holder, "_fleetform_path", f"{self._fleetform_path}/{SCHEDULES_CONSTRUCT_ID}")  # noqa: B010
            setattr(holder, "_fleetform_shared", stack)  # noqa: B010
            for schedule in props.snapshot_schedules:
                self.snapshot_schedules[schedule.name] = SnapshotSchedule(
                    holder, schedule.name, props=schedule
                )
        self.templates: dict[str, TemplateLookup] = {}
        self.vms: dict[str, VirtualMachine] = {}
        self.warnings: list[Issue] = []
        self.secrets: dict[str, TerraformVariable] = {}
        for secret in plan.secrets:
            variable = stack.secrets.get(secret.name)
            if variable is None:
                variable = TerraformVariable(
                    self, secret.construct_id, type="string", sensitive=True, description=secret.description
                )
                variable.override_logical_id(secret.variable)
                stack.secrets[secret.name] = variable
            self.secrets[secret.name] = variable
        # VMs that others wait for come first, so that they exist when the others refer to them.
        for vm, machine_type in plan.vms:
            machine = VirtualMachine(
                self,
                vm.name,
                props=vm,
                images=self.images,
                start_after=[self.vms[name] for name in vm.start_after],
                snapshot_schedules=self.snapshot_schedules,
                template_lookup=None if machine_type is None else self._template(machine_type),
                application=props.name,
            )
            self.vms[vm.name] = machine
            self.warnings.extend(machine.warnings)

    def _template(self, machine_type: str) -> TemplateLookup:
        """The stack's look-up of the template for ``machine_type``, made here if it is the first."""
        if machine_type not in self.templates:
            stack = self._fleetform_shared
            if machine_type not in stack.templates:
                template = self.props.templates[machine_type]
                stack.templates[machine_type] = TemplateLookup(self, machine_type, template=template)
            self.templates[machine_type] = stack.templates[machine_type]
        return self.templates[machine_type]

    def addresses(self) -> Iterator[str]:
        """The Terraform address of every resource and data source of the application, as they stand."""
        groups: list[ResourceGroup] = [
            *self.images.values(),
            *self.snapshot_schedules.values(),
            *self.templates.values(),
            *self.vms.values(),
        ]
        for group in groups:
            for address, _ in group.addresses():
                yield address


def _check_templates(
    props: ApplicationProps, machine_types: set[str], lookups: dict[str, TemplateLookup]
) -> None:
    """The stack's look-ups are shared: an application may not name another template VM for a machine type."""
    issues = [
        Issue(
            Location(props.name),
            f"application '{props.name}' looks up machine type '{machine_type}' as template VM "
            f"'{props.templates[machine_type]}', but {lookups[machine_type]._fleetform_path} in the same stack "
            f"looks it up as '{lookups[machine_type].template}' "
            f"(data.hypercore_vms.{template_logical_id(machine_type)} is one per stack)",
            "name the same template VM for the machine type, or put the applications in stacks of their own",
        )
        for machine_type in sorted(machine_types)
        if machine_type in lookups and lookups[machine_type].template != props.templates[machine_type]
    ]
    if issues:
        raise InputError(issues)
