"""What every stand-in resource and data source shares: the base classes and Go-style value helpers.

A resource module follows the framework scaffolding order: ``type_name`` and ``rules`` (Metadata, Schema),
then ``create``, ``read``, ``update``, ``delete``, ``import_state``. Each mirrors the real provider's Go
method; the helpers below reproduce the Go conversions it uses (``ValueString()`` of null is ``""``,
``AnyToInteger64`` rounds floats, panics name the value as ``%v`` prints it), because those conversions
decide what reaches the cluster and what a failure says.

How the framework treats what a method leaves behind (``internal/fwserver``): a failed create saves nothing,
unless the Go code set the state before adding its error (then Terraform keeps the object, tainted); a
failed or empty update keeps the prior state; a failed delete keeps the object.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tf.types import Unknown

from fleetform.standin_provider.diagnostics import Call, Failure, crash
from fleetform.standin_provider.gofmt import go_type, go_value
from fleetform.standin_provider.planning import PlanRules

if TYPE_CHECKING:  # the HTTP layer (and requests) loads only once the provider is configured
    from fleetform.standin_provider.rest import RestClient

API = "/rest/v1"
"""The REST root every path starts with (``rest.API``, repeated so that ``rest`` loads only when needed)."""

State = dict[str, Any]
Record = dict[str, Any]
"""A HyperCore record as ``encoding/json`` decodes it (``map[string]any``)."""


class _Operation:
    type_name: ClassVar[str]
    integers: ClassVar[Mapping[str, int]] = {}
    """Attributes the framework types as Int32/Int64 (the schema JSON only says "number"), with their bits."""

    def __init__(self, rest: RestClient | None, call: Call):
        self._rest = rest
        self.call = call

    @property
    def rest(self) -> RestClient:
        """``*r.client``: the provider's session."""
        if self._rest is None:
            raise Failure(
                "Unconfigured HTTP Client",
                "Expected configured HTTP client. Please report this issue to the provider developers.",
            )
        return self._rest


class Resource(_Operation):
    """A managed resource type."""

    rules: ClassVar[PlanRules] = PlanRules()

    def create(self, plan: State) -> State:
        raise NotImplementedError

    def read(self, state: State) -> State:
        raise NotImplementedError

    def update(self, prior: State, plan: State) -> State:
        raise NotImplementedError

    def delete(self, state: State) -> None:
        raise NotImplementedError

    def import_state(self, import_id: str) -> State:
        raise NotImplementedError


class DataSource(_Operation):
    """A data source type."""

    def read(self, config: State) -> State:
        raise NotImplementedError


# --- framework values (null and unknown read as Go zero values) --------------------------------------


def text(value: Any) -> str:
    """``types.String.ValueString()``."""
    return "" if value is None or value is Unknown else str(value)


def integer(value: Any) -> int:
    """``types.Int64.ValueInt64()``."""
    return 0 if value is None or value is Unknown else int(value)


def real(value: Any) -> float:
    """``types.Float64.ValueFloat64()``."""
    return 0.0 if value is None or value is Unknown else float(value)


def flag(value: Any) -> bool:
    """``types.Bool.ValueBool()``."""
    return False if value is None or value is Unknown else bool(value)


def strings(value: Any) -> list[str]:
    """``types.List.ElementsAs(&[]string)``: null gives an empty list."""
    return [] if value is None or value is Unknown else [text(item) for item in value]


# --- JSON values from the cluster (utils/helper.go) ---------------------------------------------------

_GO_INT = re.compile(r"[+-]?[0-9]+")


def any_to_string(value: Any) -> str:
    if not isinstance(value, str):
        raise crash(f"Unexpected variable where a string was expected: {go_value(value)}")
    return value


def any_to_int(value: Any) -> int:
    """``AnyToInteger64``: floats round half away from zero, strings parse as base-10 integers."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number):  # math.Round: half away from zero
            whole = math.trunc(number)
            return whole + (int(math.copysign(1, number)) if abs(number - whole) >= 0.5 else 0)
    if isinstance(value, str) and _GO_INT.fullmatch(value) and -(2**63) <= int(value) < 2**63:
        return int(value)
    raise crash(f"Unexpected variable where an int64 was expected: {go_value(value)} (type {go_type(value)})")


def any_to_float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise crash(
        f"Unexpected variable where an float64 was expected: {go_value(value)} (type {go_type(value)})"
    )


def any_to_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise crash(
            f"Unexpected variable where an bool was expected: {go_value(value)} (type {go_type(value)})"
        )
    return value


def any_to_map(value: Any) -> dict[str, Any]:
    """``AnyToMap``: its panic prints the failed conversion's zero value, always ``map[]``."""
    if not isinstance(value, dict):
        raise crash("Unexpected variable where a map[string]any was expected: map[]")
    return value


def any_to_strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise crash(f"Unexpected variable where a []any was expected: {go_value(value)}")
    return [any_to_string(item) for item in value]


def any_to_records(value: Any) -> list[dict[str, Any]]:
    """``AnyToListOfMap``."""
    if not isinstance(value, list):
        raise crash(f"Unexpected variable where a []any was expected: {go_value(value)}")
    for item in value:
        if not isinstance(item, dict):
            raise crash(f"Unexpected variable where a map[string]any was expected: {go_value(item)}")
    return value


def tags_to_comma_string(tags: list[str]) -> str:
    """``TagsListToCommaString``, including its panic on an empty list (it slices ``[:-1]`` of ``""``)."""
    if not tags:
        raise crash("runtime error: slice bounds out of range [:-1]")
    return ",".join(tags)


def bytes_to_mib(memory: int) -> int:
    """``mem / 1024 / 1024`` in int64 (truncating toward zero)."""
    mib = abs(memory) // (1024 * 1024)
    return mib if memory >= 0 else -mib


def bytes_to_gb(capacity: Any) -> float:
    """Disk bytes to the provider's decimal GB, dividing three times in float64 as the Go code does."""
    return any_to_float(capacity) / 1000 / 1000 / 1000


def gb_to_bytes(size: float) -> float:
    """Decimal GB to bytes as the Go code computes it (``size * 1000 * 1000 * 1000`` in float64)."""
    return float(size) * 1000 * 1000 * 1000
