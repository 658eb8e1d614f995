"""What fleetform's constructs share within one stack: the element that writes their resources, the template
look-ups and secret variables, and the check that no two resources get one address. Private to the constructs.

The resources of every construct nobody reached for are written by one cdktf element per stack
(:class:`Resources`): a handful of jsii round trips per stack, however many VMs it holds.

Terraform addresses come from names, not construct paths (``hypercore_vm.<vm>``), so two constructs can ask for
the same one: two ``Application``s with a VM called ``web`` in one stack. cdktf would merge both into one
``hypercore_vm.web`` (the last one wins) without a word. Every stack that holds a fleetform construct gets a
validation that lists each address written twice with the construct paths of both writers; ``app.synth()``
fails with it, and fleetform's own synth reports it as an input error before cdktf writes anything.

Template look-ups (``data.hypercore_vms.template-<machine type>``) and secret variables (``secret_<name>``) have
stack-wide names on purpose: the applications of a stack share them rather than writing them twice.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsii
from constructs import Construct, IValidation

from fleetform._cdktf import TerraformDataSource, TerraformElement, TerraformResource, TerraformStack

if TYPE_CHECKING:
    from fleetform.constructs._element import ResourceGroup


@dataclass(frozen=True)
class Duplicate:
    """Resources of two constructs that would get the same addresses."""

    stack: str
    addresses: list[str]
    first: str
    """Construct path of the first resource with ``addresses[0]``."""
    second: str

    @property
    def message(self) -> str:
        more = f" (also {', '.join(self.addresses[1:])})" if len(self.addresses) > 1 else ""
        return (
            f"two resources of stack '{self.stack}' would get the address {self.addresses[0]}: {self.first} and "
            f"{self.second}{more}; rename one of them, or give one another logical id (override_logical_id)"
        )


RESOURCES_ID = "fleetform-resources"
"""The construct id of the element that writes a stack's fleetform resources (a child of the stack)."""


class Resources(TerraformElement):
    """The Terraform JSON of every fleetform construct of a stack that nobody reached for."""

    def __init__(self, stack: TerraformStack, shared: StackShared) -> None:
        super().__init__(stack, RESOURCES_ID)
        self._shared = shared

    def to_terraform(self) -> Any:
        fragment: dict[str, Any] = {}
        for group in self._shared.groups:
            group.write(fragment)
        return fragment


@jsii.implements(IValidation)
class StackShared:
    """One stack's fleetform resource groups and the element that writes them, the template look-ups and secret
    variables its applications share, and the validation that no two resources get one address (run by
    ``app.synth()``)."""

    def __init__(self, stack: TerraformStack) -> None:
        self.stack = stack
        self.name: str = stack.node.id
        self.groups: list[ResourceGroup] = []
        self.resources = Resources(stack, self)
        self.templates: dict[str, Any] = {}
        """machine type -> the template look-up of the stack."""
        self.secrets: dict[str, Any] = {}
        """secret name -> its sensitive ``TerraformVariable``."""

    def add(self, group: ResourceGroup) -> None:
        self.groups.append(group)

    def validate(self) -> list[str]:
        """cdktf's validation hook: one message per pair of constructs whose resources share addresses."""
        return [duplicate.message for duplicate in self.duplicates()]

    def duplicates(self, *, others: bool = True) -> list[Duplicate]:
        """Addresses that two resources of the stack would get, grouped by the pair of constructs that write
        them (a VM's resources all clash when its name does). ``others``: look at every cdktf resource of the
        stack too, not only those of fleetform constructs nobody reached for (which needs Node)."""
        owners: dict[str, str] = {}
        pairs: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for address, path in self._addresses(others):
            first = owners.setdefault(address, path)
            if first != path:
                key = (posixpath.dirname(first), posixpath.dirname(path))
                pairs.setdefault(key, []).append((address, first, path))
        return [
            Duplicate(self.name, [address for address, _, _ in found], found[0][1], found[0][2])
            for found in pairs.values()
        ]

    def _addresses(self, others: bool) -> Iterator[tuple[str, str]]:
        """(address, construct path) of every resource and data source of the stack: those fleetform writes
        itself, then every typed binding or other cdktf resource (a group reached for is among those)."""
        for group in self.groups:
            if not group.reached:
                yield from group.addresses()
        if not others:
            return
        for node in self.stack.node.find_all():
            if isinstance(node, TerraformResource):
                yield f"{node.terraform_resource_type}.{node.friendly_unique_id}", node.node.path
            elif isinstance(node, TerraformDataSource):
                yield f"data.{node.terraform_resource_type}.{node.friendly_unique_id}", node.node.path


def shared(scope: Construct) -> StackShared:
    """The :class:`StackShared` of the stack ``scope`` is in (created, and its validation added, once)."""
    found = getattr(scope, "_fleetform_shared", None)
    if isinstance(found, StackShared):
        return found
    stack = TerraformStack.of(scope)
    found = getattr(stack, "_fleetform_shared", None)
    if not isinstance(found, StackShared):
        found = StackShared(stack)
        setattr(stack, "_fleetform_shared", found)  # noqa: B010
        stack.node.add_validation(found)
    return found
