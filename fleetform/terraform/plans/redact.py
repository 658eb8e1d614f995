"""No secret in ``plan.json``: sensitive values of ``terraform show -json`` replaced by a marker before it is saved.

``terraform show -json`` prints sensitive values in the clear (it marks them, but keeps them): the values of
sensitive variables (cluster passwords, ``{{ secret() }}`` values) in ``variables``, and every attribute marked
sensitive in ``planned_values``, ``prior_state``, ``resource_changes``, ``resource_drift`` and
``output_changes``. Each of those values becomes :data:`REDACTED`; the marks stay, so the review still says
"(sensitive)" where something sensitive changes, and every other value (names, sizes, ids) stays for the
review and the data-loss guard. The binary ``tfplan`` still holds the values (Terraform needs them to apply):
plan directories are created owner-only (0700).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

REDACTED = "(sensitive)"


def redact_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a ``terraform show -json`` document without sensitive values (module docstring)."""
    data: dict[str, Any] = copy.deepcopy(dict(plan))
    declared = ((data.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, variable in (data.get("variables") or {}).items():
        if isinstance(variable, dict) and (declared.get(name) or {}).get("sensitive"):
            variable["value"] = REDACTED
    for key in ("planned_values", "prior_state"):
        section = data.get(key)
        if isinstance(section, dict):
            _redact_values(section.get("values") if key == "prior_state" else section)
    for key in ("resource_changes", "resource_drift"):
        for rc in data.get(key) or []:
            change = rc.get("change") if isinstance(rc, dict) else None
            if isinstance(change, dict):
                _redact_change(change)
    for change in (data.get("output_changes") or {}).values():
        if isinstance(change, dict):
            _redact_change(change)
    return data


def _redact_values(values: Any) -> None:
    """``planned_values``/``prior_state.values``: outputs marked sensitive, resources' ``sensitive_values``."""
    if not isinstance(values, dict):
        return
    for output in (values.get("outputs") or {}).values():
        if isinstance(output, dict) and output.get("sensitive"):
            output["value"] = REDACTED
    _redact_module(values.get("root_module"))


def _redact_module(module: Any) -> None:
    if not isinstance(module, dict):
        return
    for resource in module.get("resources") or []:
        if isinstance(resource, dict) and "values" in resource:
            resource["values"] = _masked(resource["values"], resource.get("sensitive_values"))
    for child in module.get("child_modules") or []:
        _redact_module(child)


def _redact_change(change: dict[str, Any]) -> None:
    for side in ("before", "after"):
        marks = change.get(f"{side}_sensitive")
        if side in change:
            change[side] = _masked(change[side], marks)


def _masked(value: Any, marks: Any) -> Any:
    """``value`` with every part that ``marks`` (Terraform's sensitivity marks: ``true``, or an object/list of
    the same shape) flags replaced by :data:`REDACTED`."""
    if marks is True:
        return None if value is None else REDACTED
    if isinstance(value, dict) and isinstance(marks, dict):
        return {key: _masked(item, marks.get(key)) for key, item in value.items()}
    if isinstance(value, list) and isinstance(marks, list):
        return [_masked(item, marks[i] if i < len(marks) else None) for i, item in enumerate(value)]
    return value
