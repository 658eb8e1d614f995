"""Go's text renderings of values, as the real provider's messages and request bodies carry them.

The provider formats JSON it decoded with ``encoding/json`` (numbers are ``float64``, objects
``map[string]any``) into its panics and errors with ``fmt``, and encodes request bodies with ``json.Marshal``.
These functions render Python values the same way, so a message or a body reads byte for byte as the Go code
would write it:

- :func:`go_value` is ``fmt``'s ``%v`` (or ``%s``) of a decoded JSON value: ``map[a:1 b:x]``, ``[1 2]``,
  ``<nil>``, floats as ``1.7e+09``;
- :func:`go_float` is ``%v`` of a ``float64``;
- :func:`go_json` is ``json.Marshal``: sorted keys, no spaces, ``<>&`` escaped, floats without ``.0``;
- :func:`json_error` is ``json.Unmarshal``'s error for a body that is not JSON.
"""

from __future__ import annotations

import json
from typing import Any


def _digits(value: float) -> tuple[str, int]:
    """The shortest decimal digits of ``abs(value)`` and where the point goes (``0.<digits> * 10**dp``)."""
    from decimal import Decimal  # only messages and bodies with floats need it

    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    stripped = text.rstrip("0") or "0"
    return stripped, len(text) + exponent


def _exp_form(digits: str, dp: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = dp - 1
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _fixed_form(digits: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def go_float(value: float) -> str:
    """``%v`` of a ``float64`` (``strconv`` 'g', shortest): ``10``, ``1.5``, ``1.7e+09``, ``1e-05``."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if str(value).startswith("-") else ""
    if value == 0:
        return sign + "0"
    digits, dp = _digits(value)
    exp = dp - 1
    # %v is 'g' with the shortest precision, for which Go switches to the exponent form at 1e+06.
    return sign + (_exp_form(digits, dp) if exp < -4 or exp >= 6 else _fixed_form(digits, dp))


def go_type(value: Any) -> str:
    """``%T`` of a decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def go_value(value: Any, verb: str = "v") -> str:
    """``fmt``'s ``%v`` (``verb="v"``) or ``%s`` (``verb="s"``) of a decoded JSON value."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(go_value(item, verb) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_value(value[key], verb)}" for key in sorted(value)) + "]"
    if value is None:
        shown = "<nil>"
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, int | float):
        shown = go_float(float(value))
    else:
        shown = str(value)
    if verb == "s":  # %s of a non-string: fmt's "bad verb" rendering
        return "%!s(<nil>)" if value is None else f"%!s({go_type(value)}={shown})"
    return shown


def _json_float(value: float) -> str:
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    digits, dp = _digits(value)
    sign = "-" if value < 0 else ""
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        shown = _exp_form(digits, dp)
        # encoding/json cleans up e-09 to e-9
        if shown[-4:-1] == "e-0":
            shown = shown[:-2] + shown[-1]
        return sign + shown
    return sign + _fixed_form(digits, dp)


_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_string(value: str) -> str:
    encoded = json.dumps(value, ensure_ascii=False)
    for char, escape in _HTML_ESCAPES.items():
        encoded = encoded.replace(char, escape)
    return encoded


def go_json(value: Any) -> str:
    """``json.Marshal`` of a value built like the Go code builds its payloads (``int`` is an integer field)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_string(key)}:{go_json(value[key])}" for key in sorted(value)) + "}"
    raise TypeError(f"json: unsupported type: {type(value).__name__}")


def _quote_char(char: str) -> str:
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return "'" + json.dumps(char)[1:-1] + "'"


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def json_decode(body: bytes) -> tuple[Any, str | None]:
    """``json.Unmarshal`` of a body into ``any``: the value, or ``None`` and Go's error message."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text, parse_constant=_reject_constant), None
    except (json.JSONDecodeError, ValueError) as exc:
        return None, json_error(text, exc)


def json_error(text: str, exc: Exception) -> str:
    """Go's ``json.Unmarshal`` error for ``text`` that Python's decoder rejected with ``exc``."""
    if not text.strip():
        return "unexpected end of JSON input"
    position = exc.pos if isinstance(exc, json.JSONDecodeError) else len(text) - len(text.lstrip())
    if position >= len(text):
        return "unexpected end of JSON input"
    char = _quote_char(text[position])
    if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":
        return f"invalid character {char} after top-level value"
    return f"invalid character {char} looking for beginning of value"
