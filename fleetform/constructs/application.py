"""The Application construct: a multi-VM application's images, template look-ups and VMs."""

from __future__ import annotations

from dataclasses import replace

from constructs import Construct

from fleetform.constructs._ids import logical_id
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import ApplicationProps, VirtualMachineProps
from fleetform.constructs.vm import VirtualMachine
from fleetform.errors import InputError, Issue, Location
from providers.hypercore.data_hypercore_vms import DataHypercoreVms


class Application(Construct):
    """Every image once, one ``hypercore_vms`` look-up per template in use, and the VMs.

    A VM without an explicit ``template`` is cloned from the template VM named for its machine type in
    ``props.templates`` (``data.hypercore_vms.template-<machine type>``), which gives it the machine type
    and lets HyperCore take its cloud-init data.
    """

    def __init__(self, scope: Construct, id: str, *, props: ApplicationProps) -> None:
        _validate(props)
        super().__init__(scope, id)
        self.props = props
        self.images: dict[str, DiskImage] = {}
        for image in props.images:
            self.images[image.name] = DiskImage(self, image.name, props=image)
        self.templates: dict[str, DataHypercoreVms] = {}
        self.vms: dict[str, VirtualMachine] = {}
        self.warnings: list[Issue] = []
        for vm in props.vms:
            vm_props = vm
            if vm.template is None and vm.machine_type in props.templates:
                vm_props = replace(vm, template=self._template(vm.machine_type))
            machine = VirtualMachine(self, vm.name, props=vm_props, images=self.images)
            self.vms[vm.name] = machine
            self.warnings.extend(machine.warnings)

    def _template(self, machine_type: str) -> str:
        if machine_type not in self.templates:
            lookup = DataHypercoreVms(
                self, f"Template-{machine_type}", name=self.props.templates[machine_type]
            )
            lookup.override_logical_id(f"template-{machine_type}")
            self.templates[machine_type] = lookup
        return self.templates[machine_type].vms.get(0).uuid


def _validate(props: ApplicationProps) -> None:
    """Names must map to distinct Terraform addresses; report every clash at once."""
    issues: list[Issue] = []
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
    if issues:
        raise InputError(issues)
