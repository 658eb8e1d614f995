"""How a fleetform construct's resources reach cdktf: written by fleetform until someone reaches for one. Private.

A VM is seven resources or so; as typed bindings that is seven jsii objects, each costing several synchronous
round trips to cdktf's Node process when it is built and again when it is synthesized. So a
:class:`ResourceGroup` (a ``VirtualMachine``, ``DiskImage``, ``SnapshotSchedule`` or template look-up) is a plain
construct that describes its resources as plain data (:class:`Resource`); one cdktf element per stack
(:class:`fleetform.constructs._stack.StackShared`) writes those of every group of the stack, each with the ``//``
metadata cdktf gives a resource (its construct path and logical id).

The moment a user reaches for one of its resources (``vm.resource``, ``vm.disks``, ``image.uuid``, ...), the
group becomes what a cdktf user expects: every resource of it is created as the typed binding
(``fleetform.providers.hypercore``) under the group, from the same data, with the same construct ids and logical
ids, and the stack's element leaves the group out. From then on cdktf does everything: ``add_override``,
``override_logical_id``, lifecycle, ``import_from``, moves, references, the ``//`` metadata.

References (:class:`Ref`) between resources are resolved at synth, by the logical id the referenced resource
has then, whether it is written by its group or a binding (whose id may have been overridden after the
reference was made; a cdktf token would keep the id it saw first). A binding's ``depends_on`` holds the other
bindings, so a group reached for reaches for the groups its resources depend on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from fleetform.constructs._plan import construct_id
from fleetform.constructs._stack import StackShared, shared
from fleetform.providers.hypercore._runtime import HypercoreDataSource, LateValue, NestedValue


@dataclass(frozen=True)
class Ref(LateValue):
    """A reference to the resource ``key`` of ``group``: to its ``attribute`` (``id``, ``vms[0].uuid``), or,
    without one, to the resource itself (``depends_on``). A binding that holds one asks it for its JSON at synth
    (:class:`~fleetform.providers.hypercore._runtime.LateValue`)."""

    group: ResourceGroup
    key: str
    attribute: str | None = None

    def to_terraform(self) -> str:
        """``${<address>.<attribute>}`` (or the address alone), by the resource's logical id as it stands."""
        address = self.group.address(self.key)
        return address if self.attribute is None else f"${{{address}.{self.attribute}}}"


@dataclass
class Resource:
    """One resource (or data source) of a group, as plain data."""

    key: str
    """Its name within the group (``vm``, ``disk:os``, ``power_state``)."""
    binding: type[Any]
    """The typed binding class (``Vm``, ``Disk``, ``DataHypercoreVms``)."""
    construct_id: str
    """Its construct id under the group (``Resource``, ``Disk-os``): part of the ``//`` metadata path."""
    logical_id: str
    attributes: dict[str, Any]
    """Terraform attributes; values (also inside dicts and lists) may be :class:`Ref`."""
    lifecycle: dict[str, Any] | None = None
    depends_on: list[Ref] = field(default_factory=list)
    nested: dict[str, type[NestedValue]] = field(default_factory=dict)
    """The binding's classes for nested object attributes (``clone``: ``VmClone``), also for lists of them."""

    @property
    def type(self) -> str:
        tf_type: str = self.binding.TF_TYPE
        return tf_type

    @property
    def data(self) -> bool:
        return issubclass(self.binding, HypercoreDataSource)


def _hcl_output() -> bool:
    # cdktf synth --hcl asks every element for HCL, which only the typed bindings write.
    return os.environ.get("SYNTH_HCL_OUTPUT", "") in ("true", "1")


class ResourceGroup(Construct):
    """A construct whose resources its stack's element writes until one of them is reached for.

    Subclasses decide their resources in ``__init__`` (validating first, so that bad props raise before
    anything exists), pass them to :meth:`_resources_are`, and reach for them with :meth:`_binding`.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._fleetform_shared: StackShared = shared(scope)
        # The construct path, without asking Node: the scope's (fleetform constructs keep theirs) plus the id.
        self._fleetform_path = f"{_path_of(scope)}/{construct_id(id)}"
        self._specs: dict[str, Resource] = {}
        self._bindings: dict[str, Any] | None = None

    def _resources_are(self, resources: list[Resource]) -> None:
        """Set the group's resources, in creation order; call once, at the end of ``__init__``."""
        self._specs = {resource.key: resource for resource in resources}
        self._fleetform_shared.add(self)
        if _hcl_output():
            self._materialize()

    @property
    def reached(self) -> bool:
        """True once the resources are typed bindings (someone reached for one, or HCL output is on)."""
        return self._bindings is not None

    def _binding(self, key: str) -> Any:
        """The typed binding of resource ``key``; every resource of the group becomes one on first use."""
        self._materialize()
        assert self._bindings is not None
        return self._bindings[key]

    def _materialize(self) -> None:
        if self._bindings is not None:
            return
        self._bindings = {}
        for spec in self._specs.values():
            attributes = {
                name: _typed(value, spec.nested.get(name)) for name, value in spec.attributes.items()
            }
            depends_on = [ref.group._binding(ref.key) for ref in spec.depends_on]
            binding = spec.binding(
                self, spec.construct_id, **attributes, lifecycle=spec.lifecycle, depends_on=depends_on or None
            )
            binding.override_logical_id(spec.logical_id)
            self._bindings[spec.key] = binding

    def address(self, key: str) -> str:
        """The Terraform address of resource ``key`` as it stands (a binding's logical id may be overridden;
        once asked, cdktf keeps it)."""
        spec = self._specs[key]
        name = spec.logical_id if self._bindings is None else self._bindings[key].friendly_unique_id
        return f"{'data.' if spec.data else ''}{spec.type}.{name}"

    def addresses(self) -> Iterator[tuple[str, str]]:
        """(address, construct path) of every resource of the group."""
        for key, spec in self._specs.items():
            yield self.address(key), self._path_of(spec)

    def _path_of(self, spec: Resource) -> str:
        """The construct path the resource has (or would have) as a binding: ``/`` in an id becomes ``--``."""
        return f"{self._fleetform_path}/{construct_id(spec.construct_id)}"

    def write(self, fragment: dict[str, Any]) -> None:
        """Add the group's resources to a stack's Terraform JSON ``fragment``, unless they are bindings (which
        write themselves)."""
        if self._bindings is not None:
            return
        for spec in self._specs.values():
            attributes = _resolve(spec.attributes)
            if spec.lifecycle is not None:
                attributes["lifecycle"] = spec.lifecycle
            if spec.depends_on:
                attributes["depends_on"] = [ref.to_terraform() for ref in spec.depends_on]
            attributes["//"] = {"metadata": {"path": self._path_of(spec), "uniqueId": spec.logical_id}}
            section = fragment.setdefault("data" if spec.data else "resource", {})
            section.setdefault(spec.type, {})[spec.logical_id] = attributes


def _path_of(scope: Construct) -> str:
    path = getattr(scope, "_fleetform_path", None)
    if isinstance(path, str):
        return path
    found: str = scope.node.path
    return found


def _resolve(value: Any) -> Any:
    """``value`` with every :class:`Ref` resolved; plain data is copied."""
    if isinstance(value, Ref):
        return value.to_terraform()
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _typed(value: Any, nested: type[NestedValue] | None) -> Any:
    """A nested attribute as the binding's dataclass (a list of them for a list)."""
    if nested is None:
        return value
    if isinstance(value, list):
        return [nested(**item) for item in value]
    return nested(**value)
