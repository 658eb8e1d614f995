"""JSON Schemas of the manifest format and of ``fleetform.yaml``, generated from the pydantic models, for editors.

The committed files under ``schema/`` are what editors load (the VS Code YAML extension through a
``# yaml-language-server: $schema=...`` modeline, or a ``yaml.schemas`` setting). They are generated, never
edited: ``fleetform schema`` writes them and ``fleetform schema --check`` fails when they differ from the models.

Editors' schema support is JSON Schema draft-07 (the VS Code YAML extension validates 2019-09 and 2020-12 only
partly and warns about them), so pydantic's output is moved to draft-07 spelling: ``$defs`` becomes
``definitions``. Nothing pydantic emits for these models needs a newer draft. Beyond that the schema only gains
what editors use and the models already say:

- ``markdownDescription`` beside each ``description`` (the extension shows it as Markdown on hover; the
  descriptions use backticks);
- ``enum: [x]`` beside each single-value ``const`` (``type: virdomain``), so completion offers the value;
- no auto-generated property titles (``"Cpu"``, ``"Machine Type"``), which editors would show instead of the
  description. Model titles stay.

The schema accepts a little more than fleetform does: rules that are pydantic validators and not schema
keywords (names that are only blanks, commas in tags, URL schemes, memory that is not a whole MiB, names that
refer to each other) are reported by ``fleetform validate``, not by the editor.

Output is deterministic: schema keywords in a fixed order (identity and documentation first, sub-schemas last,
the rest sorted), ``properties`` in the models' field order (the order the documentation uses), definitions
sorted by name, two-space indentation, a trailing newline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
ID_PREFIX = "urn:fleetform:schema:"
"""Prefix of the schemas' ``$id``: a name, not a download location (the modeline says where the file is)."""

_REF_PREFIX = "#/$defs/"
_DRAFT_07_REF_PREFIX = "#/definitions/"
# Keyword order in the file: identity and documentation first, then the rest sorted, then the sub-schemas.
_HEAD = ("$schema", "$id", "title", "description", "markdownDescription", "$ref", "type", "const", "enum")
_TAIL = ("properties", "propertyNames", "additionalProperties", "required", "definitions")
# Keys whose values are maps from names to schemas, not schemas: their keys are names, never keywords.
_NAME_MAPS = ("properties", "definitions", "patternProperties")


@dataclass(frozen=True)
class SchemaFile:
    """One generated schema: what it describes, where it is committed, and how to build it."""

    key: str
    """Short name used on the command line: ``application`` or ``site``."""
    path: Path
    """Where the schema is committed, relative to the repository root."""
    build: Callable[[], dict[str, Any]]
    """Builds the schema from the models."""

    def text(self) -> str:
        """The schema as committed: :func:`dumps` of :attr:`build`."""
        return dumps(self.build())


def application_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of a Fleet Manager Application manifest, as fleetform reads it."""
    from fleetform.manifest.model import Application

    return _finish(
        Application.model_json_schema(mode="validation"),
        schema_id="application",
        title="Fleet Manager Application manifest (fleetform)",
        description=(
            'A Scale Computing Fleet Manager Application manifest, version "1.0.0": one or more VMs deployed '
            "together, as fleetform reads it (manifests/*.yaml). Sizes are bytes: an integer, a digit string, "
            "or a number with a unit (KiB MiB GiB TiB, powers of 1024; KB MB GB TB, powers of 1000). Generated "
            "from fleetform.manifest.model by `fleetform schema`; do not edit."
        ),
    )


def site_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of the site configuration, ``fleetform.yaml``."""
    from fleetform.site.config import SiteConfig

    return _finish(
        SiteConfig.model_json_schema(mode="validation"),
        schema_id="site",
        title="fleetform site configuration (fleetform.yaml)",
        description=(
            "What manifests leave to the site: network name -> VLAN id, machine type -> template VM, an "
            "image mirror, and where Terraform state lives. Host and credentials never go here: they come "
            "from HC_HOST, HC_USERNAME and HC_PASSWORD. Generated from fleetform.site.config by `fleetform "
            "schema --site`; do not edit."
        ),
    )


SCHEMAS: dict[str, SchemaFile] = {
    "application": SchemaFile("application", Path("schema/application.schema.json"), application_schema),
    "site": SchemaFile("site", Path("schema/fleetform.schema.json"), site_schema),
}
"""Every generated schema by key, with its committed path."""


def dumps(schema: dict[str, Any]) -> str:
    """The committed text of a schema: deterministic JSON with a trailing newline."""
    return json.dumps(_ordered(schema), indent=2, ensure_ascii=False) + "\n"


def differs(schema_file: SchemaFile, path: Path | None = None) -> str | None:
    """Why the file at ``path`` (default: the committed one) is not the generated schema, or None if it is."""
    target = path if path is not None else schema_file.path
    try:
        current = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return f"{target} does not exist"
    except (OSError, UnicodeDecodeError) as exc:
        return f"{target} cannot be read: {exc}"
    expected = schema_file.text()
    if current == expected:
        return None
    for number, (have, want) in enumerate(
        zip(current.splitlines(), expected.splitlines(), strict=False), start=1
    ):
        if have != want:
            return f"{target} differs from the models from line {number} on"
    return f"{target} differs from the models in length ({len(current)} vs {len(expected)} characters)"


# --- internals -------------------------------------------------------------------------------------


def _finish(schema: dict[str, Any], *, schema_id: str, title: str, description: str) -> dict[str, Any]:
    body = _to_editor_schema(schema)
    definitions = body.pop("$defs", None)
    result: dict[str, Any] = {
        "$schema": DRAFT_07,
        "$id": ID_PREFIX + schema_id,
        **body,
        "title": title,
        "description": description,
        "markdownDescription": description,
    }
    if definitions is not None:
        result["definitions"] = definitions
    ordered: dict[str, Any] = _ordered(result)
    return ordered


def _to_editor_schema(node: Any, *, in_name_map: bool = False) -> Any:
    """Draft-07 refs, ``enum`` beside ``const``, ``markdownDescription``, no property titles (module docstring)."""
    if isinstance(node, list):
        return [_to_editor_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if in_name_map:
        return {name: _to_editor_schema(value) for name, value in node.items()}
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
            result[key] = _DRAFT_07_REF_PREFIX + value[len(_REF_PREFIX) :]
        elif key in (*_NAME_MAPS, "$defs") and isinstance(value, dict):
            result[key] = _to_editor_schema(value, in_name_map=True)
        elif key in ("examples", "default", "const", "enum"):
            result[key] = value  # instance data, not schemas
        else:
            result[key] = _to_editor_schema(value)
    if "properties" in result and isinstance(result["properties"], dict):
        for prop in result["properties"].values():
            if isinstance(prop, dict):
                prop.pop("title", None)
    if "const" in result and "enum" not in result:
        result["enum"] = [result["const"]]
    if isinstance(result.get("description"), str):
        result.setdefault("markdownDescription", result["description"])
    return result


def _keyword_rank(key: str) -> tuple[int, int, str]:
    if key in _HEAD:
        return (0, _HEAD.index(key), "")
    if key in _TAIL:
        return (2, _TAIL.index(key), "")
    return (1, 0, key)


def _ordered(node: Any, *, keep_order: bool = False) -> Any:
    """Keywords sorted; the entries of ``properties`` kept in field order; instance data untouched."""
    if isinstance(node, list):
        return [_ordered(item) for item in node]
    if not isinstance(node, dict):
        return node
    keys = list(node) if keep_order else sorted(node, key=_keyword_rank)
    result: dict[str, Any] = {}
    for key in keys:
        value = node[key]
        if keep_order:
            result[key] = _ordered(value)
        elif key in ("examples", "default", "const", "enum"):
            result[key] = value
        elif key == "properties":
            result[key] = _ordered(value, keep_order=True)
        else:
            result[key] = _ordered(value)
    return result
