"""The Application construct: a multi-VM application's images, template look-ups and VMs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from graphlib import CycleError, TopologicalSorter

from constructs import Construct

from fleetform._cdktf import TerraformVariable
from fleetform.addresses import logical_id
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import ApplicationProps, VirtualMachineProps
from fleetform.constructs.vm import VirtualMachine
from fleetform.errors import InputError, Issue, Location
from fleetform.secrets import secret_names, variable_name
from providers.hypercore.data_hypercore_vms import DataHypercoreVms


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

    Terraform addresses are the image and VM names, not prefixed by this construct's id, and the template
    look-ups and secret variables have stack-wide names (``template-<machine type>``, ``secret_<name>``).
    One application per stack is what fleetform synthesizes; two in one stack must not share image or VM
    names, and must name the same template VM for a machine type (the later look-up would replace the
    earlier one). ``images``, ``vms`` and ``templates`` hold the child constructs by name; ``warnings`` the
    disk sizes that had to be rounded. Invalid props raise :class:`fleetform.errors.InputError`.
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
        self.secrets: dict[str, TerraformVariable] = {}
        for name in sorted({n for vm in props.vms for n in _secret_names(vm)}):
            variable = TerraformVariable(
                self,
                f"Secret-{name}",
                type="string",
                sensitive=True,
                description=f'The secret "{name}" used in cloud-init; set TF_VAR_{variable_name(name)}.',
            )
            variable.override_logical_id(variable_name(name))
            self.secrets[name] = variable
        # VMs that others wait for come first, so their power states exist when the others refer to them.
        for vm in _startup_order(props.vms):
            vm_props = vm
            if vm.template is None and not vm.adopted and vm.machine_type in props.templates:
                vm_props = replace(vm, template=self._template(vm.machine_type))
            after = [self.vms[name] for name in vm.start_after]
            machine = VirtualMachine(self, vm.name, props=vm_props, images=self.images, start_after=after)
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


def _validate(props: ApplicationProps) -> None:
    """Names must map to distinct Terraform addresses and startup order must be a known, acyclic order;
    report every problem at once."""
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
    if issues:
        raise InputError(issues)
