"""``terraform show -json`` of a saved plan -> typed resource changes and the facts a review needs.

Pure: takes the decoded JSON, returns objects. Field names follow Terraform's JSON plan format (format_version
1.x): ``resource_changes[]`` with ``change.{actions, before, after, after_unknown, before_sensitive,
after_sensitive, replace_paths, importing}``, ``action_reason``, ``previous_address``; ``prior_state`` and
``planned_values`` for ids; ``configuration`` for references and sensitive variables.

The plan's ``variables`` section holds variable values in the clear, sensitive ones included; nothing here
reads it, so nothing downstream can show it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from fleetform.errors import FleetformError

Action: TypeAlias = Literal["create", "update", "delete", "replace", "no-op", "read", "forget"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "replace", "no-op", "read", "forget")
_BY_NAME: dict[str, Action] = {action: action for action in ACTIONS}


class PlanFormatError(FleetformError):
    """A file is not the ``terraform show -json`` output of a plan."""


@dataclass(frozen=True)
class ResourceChange:
    """One entry of ``resource_changes``."""

    address: str
    mode: str
    """``managed`` or ``data``."""
    type: str
    name: str
    actions: tuple[str, ...]
    before: Any = None
    after: Any = None
    after_unknown: Any = None
    before_sensitive: Any = None
    after_sensitive: Any = None
    action_reason: str | None = None
    replace_paths: tuple[tuple[str | int, ...], ...] = ()
    importing_id: str | None = None
    """``change.importing.id``: the id an ``import`` block brings under management."""
    previous_address: str | None = None
    """Where a ``moved`` block moves the resource from."""
    deposed: str | None = None

    @property
    def action(self) -> Action:
        """The actions as one word; ``replace`` for delete+create in either order."""
        actions = self.actions
        if set(actions) == {"delete", "create"}:
            return "replace"
        if len(actions) == 1 and actions[0] in _BY_NAME:
            return _BY_NAME[actions[0]]
        raise PlanFormatError(f"{self.address}: unknown actions {list(actions)}")

    @property
    def is_import(self) -> bool:
        return self.importing_id is not None

    @property
    def is_move(self) -> bool:
        return self.previous_address is not None and self.previous_address != self.address


@dataclass
class Plan:
    """A saved plan's resource changes plus lookups from its prior state, planned values and configuration."""

    changes: list[ResourceChange]
    terraform_version: str = ""
    errored: bool = False
    prior: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Managed and data resources in the prior state: address -> attribute values."""
    planned: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``planned_values``: address -> attribute values (unknown ones missing)."""
    references: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Configuration: address -> attribute -> the resource addresses its expression refers to, in order."""
    sensitive_variables: frozenset[str] = frozenset()

    def change(self, address: str) -> ResourceChange | None:
        """The change of ``address`` (not deposed), if the plan has one."""
        for rc in self.changes:
            if rc.address == address and rc.deposed is None:
                return rc
        return None

    def address_of_id(self, uuid: str) -> str | None:
        """The managed resource whose ``id`` is ``uuid`` (prior state first, then planned values)."""
        for values in (self.prior, self.planned):
            for address, attrs in values.items():
                if not address.startswith("data.") and attrs.get("id") == uuid:
                    return address
        return None

    def template_name(self, uuid: str) -> str | None:
        """The name of a VM a ``data.hypercore_vms`` look-up found with this UUID (a clone's template)."""
        for values in (self.prior, self.planned):
            for address, attrs in values.items():
                if address.startswith("data.hypercore_vms."):
                    for vm in attrs.get("vms") or []:
                        if isinstance(vm, Mapping) and vm.get("uuid") == uuid:
                            return str(vm.get("name"))
        return None

    def managed(self) -> Iterator[ResourceChange]:
        """Changes of managed resources (data source reads left out)."""
        return (rc for rc in self.changes if rc.mode == "managed")


def parse_plan(data: Any) -> Plan:
    """Read the decoded ``terraform show -json`` output of a saved plan. Raises PlanFormatError."""
    if not isinstance(data, Mapping) or "format_version" not in data:
        raise PlanFormatError("not a Terraform JSON plan (no format_version)")
    if "resource_changes" not in data and "planned_values" not in data:
        raise PlanFormatError("not a Terraform JSON plan: no resource_changes (is it a state?)")
    changes = [_resource_change(rc) for rc in data.get("resource_changes") or []]
    prior_state = data.get("prior_state") or {}
    return Plan(
        changes=changes,
        terraform_version=str(data.get("terraform_version") or ""),
        errored=bool(data.get("errored", False)),
        prior=_module_values((prior_state.get("values") or {}).get("root_module")),
        planned=_module_values((data.get("planned_values") or {}).get("root_module")),
        references=_references((data.get("configuration") or {}).get("root_module")),
        sensitive_variables=frozenset(
            name
            for name, spec in (
                ((data.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
            ).items()
            if isinstance(spec, Mapping) and spec.get("sensitive")
        ),
    )


def _resource_change(rc: Any) -> ResourceChange:
    if not isinstance(rc, Mapping) or not isinstance(rc.get("change"), Mapping):
        raise PlanFormatError(f"malformed resource change: {str(rc)[:80]}")
    change = rc["change"]
    importing = change.get("importing")
    return ResourceChange(
        address=str(rc.get("address", "")),
        mode=str(rc.get("mode", "managed")),
        type=str(rc.get("type", "")),
        name=str(rc.get("name", "")),
        actions=tuple(change.get("actions") or ("no-op",)),
        before=change.get("before"),
        after=change.get("after"),
        after_unknown=change.get("after_unknown"),
        before_sensitive=change.get("before_sensitive"),
        after_sensitive=change.get("after_sensitive"),
        action_reason=rc.get("action_reason"),
        replace_paths=tuple(tuple(p) for p in change.get("replace_paths") or () if isinstance(p, list)),
        importing_id=(
            str(importing.get("id"))
            if isinstance(importing, Mapping) and importing.get("id") is not None
            else None
        ),
        previous_address=rc.get("previous_address"),
        deposed=rc.get("deposed"),
    )


def _module_values(module: Any) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {}
    if not isinstance(module, Mapping):
        return values
    for resource in module.get("resources") or []:
        if isinstance(resource, Mapping) and isinstance(resource.get("values"), Mapping):
            values[str(resource.get("address"))] = dict(resource["values"])
    for child in module.get("child_modules") or []:
        values.update(_module_values(child))
    return values


def _references(module: Any) -> dict[str, dict[str, list[str]]]:
    """address -> attribute -> referenced resource addresses (``hypercore_disk.x``), in expression order."""
    result: dict[str, dict[str, list[str]]] = {}
    if not isinstance(module, Mapping):
        return result
    for resource in module.get("resources") or []:
        if not isinstance(resource, Mapping):
            continue
        attrs: dict[str, list[str]] = {}
        for name, expression in (resource.get("expressions") or {}).items():
            if isinstance(expression, Mapping) and expression.get("references"):
                refs = [str(r)[: -len(".id")] for r in expression["references"] if str(r).endswith(".id")]
                if refs:
                    attrs[name] = refs
        if attrs:
            result[str(resource.get("address"))] = attrs
    return result
