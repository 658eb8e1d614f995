"""JSON text byte for byte as cdktf writes it: ``json-stable-stringify`` 1.3 with ``space: 2`` over JavaScript values.

cdktf writes ``cdk.tf.json`` and ``manifest.json`` with keys sorted (by UTF-16 code units), two-space indents,
empty objects and arrays opened and closed on separate lines (``{`` newline ``}``), no trailing newline, and
numbers as JavaScript prints them (``5`` for 5.0, ``1e+21``, ``1e-7``). ``fleetform synth`` uses this to write
``manifest.json`` itself when every stack came from the synth cache, so that the file is the one cdktf would
have written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

_INDENT = "  "


def stringify(value: Any) -> str:
    """``value`` (dicts, lists, str, int, float, bool, None) as cdktf writes JSON."""
    return _value(value, 0)


def _value(value: Any, level: int) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or value is True or value is False:
        return json.dumps(value)
    if isinstance(value, int | float):
        return js_number(value)
    indent = "\n" + _INDENT * level
    inner = indent + _INDENT
    if isinstance(value, Mapping):
        items = [
            inner + json.dumps(k, ensure_ascii=False) + ": " + _value(value[k], level + 1)
            for k in _keys(value)
        ]
        return "{" + ",".join(items) + indent + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(inner + _value(item, level + 1) for item in value) + indent + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _keys(mapping: Mapping[str, Any]) -> list[str]:
    keys = list(mapping)
    if all(key.isascii() for key in keys):
        return sorted(keys)
    # JavaScript compares strings by UTF-16 code units; big-endian UTF-16 bytes sort the same way.
    return sorted(keys, key=lambda key: key.encode("utf-16-be", "surrogatepass"))


def js_number(value: float) -> str:
    """A number as JavaScript's ``JSON.stringify`` prints it (a double: ints beyond 2**53 lose precision)."""
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return "null"
    if number == 0:
        return "0"
    if isinstance(value, int) and abs(value) < 2**53:
        return str(value)
    sign = "-" if number < 0 else ""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    if fraction == "0":
        fraction = ""
    digits = (whole + fraction).lstrip("0")
    # value = 0.digits * 10**n, with n as in ECMA-262 Number::toString
    n = len(whole) + (int(exponent) if exponent else 0)
    if whole == "0":
        n = -(len(fraction) - len(fraction.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        text = (
            (digits[0] + ("." + digits[1:] if k > 1 else "")) + "e" + ("+" if e >= 0 else "-") + str(abs(e))
        )
    return sign + text
