"""Check synthesized Terraform JSON against the real provider's schema, as ``terraform validate`` would.

Used by the tests (no registry, so no ``terraform validate`` against the real provider here) and by anyone
who wants to know that a stack only sets attributes the provider has, with the right types, and every required
one. A string holding a Terraform expression (``${...}``) is accepted wherever a value is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROVIDER_ADDRESS = "registry.terraform.io/scalecomputing/hypercore"
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "providers" / "hypercore-provider-schema.json"
META_ARGUMENTS = {
    "//",
    "count",
    "depends_on",
    "for_each",
    "provider",
    "lifecycle",
    "connection",
    "provisioner",
}


def load_provider_schema(path: Path | None = None) -> dict[str, Any]:
    """The hypercore provider's part of a ``terraform providers schema -json`` document."""
    document = json.loads((path or SCHEMA_FILE).read_text())
    schema: dict[str, Any] = document["provider_schemas"][PROVIDER_ADDRESS]
    return schema


def check_stack(stack: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Every way ``stack`` (a parsed cdk.tf.json) disagrees with the provider ``schema``; [] when none."""
    problems: list[str] = []
    for kind, key in (("resource", "resource_schemas"), ("data", "data_source_schemas")):
        for type_name, instances in stack.get(kind, {}).items():
            if not type_name.startswith("hypercore_"):
                continue
            known = schema[key].get(type_name)
            if known is None:
                problems.append(f"{kind} type {type_name} does not exist in the provider")
                continue
            for name, body in instances.items():
                where = f"{'data.' if kind == 'data' else ''}{type_name}.{name}"
                problems += _check_block(where, body, known["block"]["attributes"], skip=META_ARGUMENTS)
    for config in stack.get("provider", {}).get("hypercore", []):
        problems += _check_block(
            "provider.hypercore", config, schema["provider"]["block"]["attributes"], {"alias"}
        )
    return problems


def _check_block(where: str, body: dict[str, Any], attributes: dict[str, Any], skip: set[str]) -> list[str]:
    problems: list[str] = []
    for name, value in body.items():
        if name in skip:
            continue
        spec = attributes.get(name)
        if spec is None:
            problems.append(f"{where}: unknown attribute '{name}'")
        elif not (spec.get("optional") or spec.get("required")):
            problems.append(f"{where}: '{name}' is computed and cannot be set")
        else:
            problems += _check_value(f"{where}.{name}", value, spec)
    for name, spec in attributes.items():
        if spec.get("required") and name not in body:
            problems.append(f"{where}: required attribute '{name}' is missing")
    return problems


def _check_value(where: str, value: Any, spec: dict[str, Any]) -> list[str]:
    if _is_expression(value):
        return []
    nested = spec.get("nested_type")
    if nested is not None:
        if nested["nesting_mode"] == "single":
            if not isinstance(value, dict):
                return [f"{where}: expected an object, got {type(value).__name__}"]
            return _check_block(where, value, nested["attributes"], set())
        if not isinstance(value, list):
            return [f"{where}: expected a list of objects, got {type(value).__name__}"]
        problems: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                problems.append(f"{where}[{index}]: expected an object")
            else:
                problems += _check_block(f"{where}[{index}]", item, nested["attributes"], set())
        return problems
    return _check_type(where, value, spec["type"])


def _check_type(where: str, value: Any, type_: Any) -> list[str]:
    if _is_expression(value):
        return []
    if type_ == "string":
        ok = isinstance(value, str)
    elif type_ == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif type_ == "bool":
        ok = isinstance(value, bool)
    elif isinstance(type_, list) and type_[0] in ("list", "set"):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in _check_type(f"{where}[{i}]", item, type_[1])]
    elif isinstance(type_, list) and type_[0] == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {type(value).__name__}"]
        return [p for k, item in value.items() for p in _check_type(f"{where}.{k}", item, type_[1])]
    elif isinstance(type_, list) and type_[0] == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        return [p for k, item in value.items() for p in _check_type(f"{where}.{k}", item, type_[1].get(k))]
    else:
        return [f"{where}: no such attribute type {type_!r}"]
    return [] if ok else [f"{where}: expected {type_}, got {json.dumps(value)}"]


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${" in value
