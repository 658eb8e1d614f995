"""Plan a resource change the way terraform-plugin-framework v1.16 (the real provider's SDK) does.

Order, as in the framework's ``PlanResourceChange``: start from Terraform's proposed new state, apply
attribute defaults where the configuration is null, then, if the plan differs from the prior state, mark every
computed attribute whose configuration is null as unknown ("known after apply"), and finally run the
``UseStateForUnknown`` plan modifiers, which put the prior state's value back. Nested attributes are visited
inside their parent; a null or unknown parent is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from tf.types import Unknown

from fleetform.standin_provider.schema import Attribute, Block


@dataclass(frozen=True)
class PlanRules:
    """What the schema JSON cannot say: ``defaults`` and ``UseStateForUnknown`` attributes by dotted path."""

    defaults: Mapping[str, Any] = field(default_factory=dict)
    keep_state: frozenset[str] = frozenset()


def plan_change(
    block: Block,
    rules: PlanRules,
    prior: dict[str, Any] | None,
    proposed: dict[str, Any],
    config: dict[str, Any],
) -> dict[str, Any]:
    """The planned new state for a create (``prior is None``) or an update."""
    planned = deepcopy(proposed)
    _defaults(block, rules, planned, config, "")
    if planned != prior:
        planned = _mark_unknown(block, rules, planned, config, "")
    if prior is not None:
        _keep_state(block, rules, planned, prior, config, "")
    return planned


def _children(attr: Attribute, plan: Any, other: Any) -> list[tuple[Any, Any]]:
    """Pairs of (plan element, other element) of a nested attribute, matched by position or key."""
    if plan is None or plan is Unknown:
        return []
    if attr.nesting == "single":
        return [(plan, other)]
    others = other if isinstance(other, list | dict) else None
    if attr.nesting == "map":
        return [(item, others.get(key) if isinstance(others, dict) else None) for key, item in plan.items()]
    return [
        (item, others[index] if isinstance(others, list) and index < len(others) else None)
        for index, item in enumerate(plan)
    ]


def _at(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def _defaults(block: Block, rules: PlanRules, plan: dict[str, Any], config: Any, prefix: str) -> None:
    for name, attr in block.attributes.items():
        path = prefix + name
        if path in rules.defaults and _at(config, name) is None:
            plan[name] = deepcopy(rules.defaults[path])
        if attr.nested is not None:
            for item, item_config in _children(attr, plan.get(name), _at(config, name)):
                if isinstance(item, dict):
                    _defaults(attr.nested, rules, item, item_config, path + ".")


def _mark_unknown(
    block: Block, rules: PlanRules, plan: dict[str, Any], config: Any, prefix: str
) -> dict[str, Any]:
    # The framework transforms children before their parent; a computed parent with a null configuration
    # then becomes unknown as a whole.
    marked = dict(plan)
    for name, attr in block.attributes.items():
        path = prefix + name
        value = plan.get(name)
        if attr.nested is not None and value is not None and value is not Unknown:
            value = _mark_nested(attr, rules, value, _at(config, name), path)
        if _at(config, name) is None and attr.computed and path not in rules.defaults:
            value = Unknown
        marked[name] = value
    return marked


def _mark_nested(attr: Attribute, rules: PlanRules, value: Any, config: Any, path: str) -> Any:
    assert attr.nested is not None
    nested, prefix = attr.nested, path + "."
    if attr.nesting == "single":
        return _mark_unknown(nested, rules, value, config, prefix)
    if attr.nesting == "map":
        return {
            key: _mark_unknown(nested, rules, item, _at(config, key), prefix) for key, item in value.items()
        }
    configs = config if isinstance(config, list) else []
    return [
        _mark_unknown(nested, rules, item, configs[index] if index < len(configs) else None, prefix)
        for index, item in enumerate(value)
    ]


def _keep_state(
    block: Block, rules: PlanRules, plan: dict[str, Any], prior: Any, config: Any, prefix: str
) -> None:
    for name, attr in block.attributes.items():
        path = prefix + name
        if path in rules.keep_state and plan.get(name) is Unknown and _at(config, name) is not Unknown:
            plan[name] = deepcopy(_at(prior, name))
        if attr.nested is not None:
            for item, item_prior in _children(attr, plan.get(name), _at(prior, name)):
                if isinstance(item, dict):
                    item_config = _nested_config(attr, plan.get(name), item, _at(config, name))
                    _keep_state(attr.nested, rules, item, item_prior, item_config, path + ".")


def _nested_config(attr: Attribute, plan_value: Any, item: Any, config: Any) -> Any:
    if attr.nesting == "single":
        return config
    if attr.nesting == "map" and isinstance(config, dict) and isinstance(plan_value, dict):
        key = next((k for k, v in plan_value.items() if v is item), None)
        return config.get(key) if key is not None else None
    if isinstance(config, list) and isinstance(plan_value, list):
        index = next((i for i, v in enumerate(plan_value) if v is item), len(config))
        return config[index] if index < len(config) else None
    return None
