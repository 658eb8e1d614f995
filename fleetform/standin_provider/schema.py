"""The real provider's schema (``fleetform/providers/hypercore-provider-schema.json``) as plugin-protocol messages.

The file is Terraform's own ``providers schema -json`` rendering of ScaleComputing/hypercore v1.4.0; this
module turns it back into the ``tfplugin6`` messages that render to the same document, and normalizes values
(numbers, missing attributes) against it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tf.gen import tfplugin_pb2 as pb
from tf.types import Unknown

PROVIDER_ADDRESS = "registry.terraform.io/scalecomputing/hypercore"
SCHEMA_ENV = "FLEETFORM_PROVIDER_SCHEMA"
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "providers" / "hypercore-provider-schema.json"

_KINDS = {"plain": pb.StringKind.PLAIN, "markdown": pb.StringKind.MARKDOWN}
_NESTING = {
    "single": pb.Schema.Object.SINGLE,
    "list": pb.Schema.Object.LIST,
    "set": pb.Schema.Object.SET,
    "map": pb.Schema.Object.MAP,
}


@dataclass(frozen=True)
class Attribute:
    """One attribute: a plain cty ``type`` or a ``nested`` block with its ``nesting`` mode."""

    name: str
    type: Any
    nested: Block | None
    nesting: str
    required: bool
    optional: bool
    computed: bool
    sensitive: bool
    description: str
    description_kind: str
    deprecated: bool

    def to_pb(self) -> pb.Schema.Attribute:
        fields: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "description_kind": _KINDS[self.description_kind],
            "required": self.required,
            "optional": self.optional,
            "computed": self.computed,
            "sensitive": self.sensitive,
            "deprecated": self.deprecated,
        }
        if self.nested is not None:
            fields["nested_type"] = pb.Schema.Object(
                attributes=[a.to_pb() for a in self.nested.attributes.values()],
                nesting=_NESTING[self.nesting],
            )
        else:
            fields["type"] = json.dumps(self.type, separators=(",", ":")).encode()
        return pb.Schema.Attribute(**fields)


@dataclass(frozen=True)
class Block:
    """A set of attributes (the provider has no nested blocks, only nested attributes)."""

    attributes: dict[str, Attribute]
    description: str = ""
    description_kind: str = "plain"
    deprecated: bool = False

    def to_pb(self) -> pb.Schema.Block:
        return pb.Schema.Block(
            attributes=[a.to_pb() for a in self.attributes.values()],
            description=self.description,
            description_kind=_KINDS[self.description_kind],
            deprecated=self.deprecated,
        )


@dataclass(frozen=True)
class Schema:
    """A provider, resource or data source schema."""

    version: int
    block: Block

    def to_pb(self) -> pb.Schema:
        return pb.Schema(version=self.version, block=self.block.to_pb())


@dataclass(frozen=True)
class ProviderSchema:
    """Everything the provider serves, keyed by type name."""

    provider: Schema
    resources: dict[str, Schema]
    data_sources: dict[str, Schema]


def schema_file() -> Path:
    """Where the schema is read from: ``$FLEETFORM_PROVIDER_SCHEMA`` or the copy in the project."""
    return Path(os.environ.get(SCHEMA_ENV) or SCHEMA_FILE)


@cache
def load_schema(path: Path | None = None) -> ProviderSchema:
    """Parse the ``providers schema -json`` document of the real provider."""
    document = json.loads((path or schema_file()).read_text())
    served = document["provider_schemas"][PROVIDER_ADDRESS]
    return ProviderSchema(
        provider=_schema(served["provider"]),
        resources={name: _schema(s) for name, s in served.get("resource_schemas", {}).items()},
        data_sources={name: _schema(s) for name, s in served.get("data_source_schemas", {}).items()},
    )


def _schema(doc: dict[str, Any]) -> Schema:
    return Schema(version=doc.get("version", 0), block=_block(doc["block"]))


def _block(doc: dict[str, Any]) -> Block:
    if doc.get("block_types"):
        raise ValueError("nested blocks are not supported; the hypercore provider has none")
    return Block(
        attributes={name: _attribute(name, a) for name, a in doc.get("attributes", {}).items()},
        description=doc.get("description", ""),
        description_kind=doc.get("description_kind", "plain"),
        deprecated=doc.get("deprecated", False),
    )


def _attribute(name: str, doc: dict[str, Any]) -> Attribute:
    nested = doc.get("nested_type")
    return Attribute(
        name=name,
        type=doc.get("type"),
        nested=_block(nested) if nested else None,
        nesting=nested.get("nesting_mode", "single") if nested else "",
        required=doc.get("required", False),
        optional=doc.get("optional", False),
        computed=doc.get("computed", False),
        sensitive=doc.get("sensitive", False),
        description=doc.get("description", ""),
        description_kind=doc.get("description_kind", "plain"),
        deprecated=doc.get("deprecated", False),
    )


# --- values -----------------------------------------------------------------------------------------


def normalize(block: Block, value: Any) -> Any:
    """``value`` (an object of ``block``) with every attribute present and numbers as ``int``/``float``.

    Terraform sends numbers that float64 cannot hold exactly (``1.073741824``) as decimal strings; the real
    provider's framework converts them to the nearest float64, and so does this.
    """
    if value is None or value is Unknown:
        return value
    return {name: _attribute_value(attr, value.get(name)) for name, attr in block.attributes.items()}


def _attribute_value(attr: Attribute, value: Any) -> Any:
    if attr.nested is None:
        return _typed(attr.type, value)
    if value is None or value is Unknown:
        return value
    if attr.nesting == "single":
        return normalize(attr.nested, value)
    if attr.nesting == "map":
        return {key: normalize(attr.nested, item) for key, item in value.items()}
    return [normalize(attr.nested, item) for item in value]


def _typed(cty: Any, value: Any) -> Any:
    if value is None or value is Unknown:
        return value
    if cty == "number":
        return number(value)
    if isinstance(cty, list) and cty[0] in ("list", "set"):
        return [_typed(cty[1], item) for item in value]
    if isinstance(cty, list) and cty[0] == "map":
        return {key: _typed(cty[1], item) for key, item in value.items()}
    if isinstance(cty, list) and cty[0] == "object":
        return {key: _typed(kind, value.get(key)) for key, kind in cty[1].items()}
    return value


def number(value: Any) -> int | float:
    """A Terraform number as Python ``int`` (whole) or ``float`` (nearest float64)."""
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return float(text)
