"""What every stand-in resource and data source shares: the base classes and Go-style value helpers.

A resource module follows the framework scaffolding order: ``type_name`` and ``rules`` (Metadata, Schema),
then ``create``, ``read``, ``update``, ``delete``, ``import_state``. Each mirrors the real provider's Go
method; the helpers below reproduce the Go conversions it uses (``ValueString()`` of null is ``""``,
``AnyToInteger64`` rounds floats, ``%v`` prints ``10`` not ``10.0``), because those conversions decide what
reaches the cluster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from tf.types import Unknown

from fleetform.standin_provider.api import Api
from fleetform.standin_provider.diagnostics import Call, Failure, crash
from fleetform.standin_provider.planning import PlanRules

State = dict[str, Any]

API = "/rest/v1"


class _Operation:
    type_name: ClassVar[str]
    integers: ClassVar[Mapping[str, int]] = {}
    """Attributes the framework types as Int32/Int64 (the schema JSON only says "number"), with their bits."""

    def __init__(self, api: Api | None, call: Call):
        self._api = api
        self.call = call

    @property
    def api(self) -> Api:
        if self._api is None:
            raise Failure(
                "Unconfigured HTTP Client",
                "Expected configured HTTP client. Please report this issue to the provider developers.",
            )
        return self._api


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


def any_to_string(value: Any) -> str:
    if not isinstance(value, str):
        raise crash(f"Unexpected variable where a string was expected: {value}")
    return value


def any_to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise crash(f"Unexpected variable where an int64 was expected: {value} (type bool)")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(math.copysign(math.floor(abs(value) + 0.5), value))  # Go math.Round: half away from zero
    if isinstance(value, str):
        try:
            return int(value, 10)
        except ValueError:
            pass
    raise crash(f"Unexpected variable where an int64 was expected: {value} (type {type(value).__name__})")


def any_to_float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise crash(f"Unexpected variable where an float64 was expected: {value} (type {type(value).__name__})")


def any_to_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise crash(f"Unexpected variable where an bool was expected: {value} (type {type(value).__name__})")
    return value


def any_to_strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise crash(f"Unexpected variable where a []any was expected: {value}")
    return [any_to_string(item) for item in value]


def any_to_records(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise crash(f"Unexpected variable where a []any was expected: {value}")
    return value


def tags_to_comma_string(tags: list[str]) -> str:
    """``TagsListToCommaString``, including its crash on an empty list (it slices ``[:-1]`` of ``""``)."""
    if not tags:
        raise crash(
            "runtime error: slice bounds out of range [:-1]. (fleetform stand-in: the real provider crashes "
            'this way when `tags` is an empty list or omitted; write `tags = [""]` for a VM without tags.)'
        )
    return ",".join(tags)


def go_float(value: float) -> str:
    """A float64 as Go's ``%v`` prints it (``10``, ``1.5``, ``1.0737418240000002``)."""
    shown = repr(float(value))
    return shown[:-2] if shown.endswith(".0") else shown


def bytes_to_gb(capacity: Any) -> float:
    """Disk bytes to the provider's decimal GB, dividing three times in float64 as the Go code does."""
    return any_to_float(capacity) / 1000 / 1000 / 1000


def gb_to_bytes(size: float) -> int | float:
    """Decimal GB to bytes as a float64 (``size * 1000 * 1000 * 1000``), sent to the cluster as is.

    Whole values come back as ``int`` so they serialize like Go's ``json.Marshal`` of a float64
    (``10000000000``, not ``10000000000.0``).
    """
    capacity = size * 1000 * 1000 * 1000
    return int(capacity) if capacity.is_integer() and abs(capacity) < 1e21 else capacity
