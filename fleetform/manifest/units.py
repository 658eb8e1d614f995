"""Sizes in manifests: byte counts (int or digit string) and human sizes like ``"10GiB"`` -> bytes, and back.

Accepted forms (:func:`parse_size`):

- an integer of bytes (``2147483648``) or a string of digits (``"2147483648"``);
- a number followed by a unit, with or without a space between them (``"10GiB"``, ``"500 GB"``, ``"1.5GiB"``).
  Binary units are powers of 1024: ``KiB MiB GiB TiB PiB EiB``, also in the Kubernetes short form
  ``Ki Mi Gi Ti Pi Ei``. Decimal units are powers of 1000: ``KB MB GB TB PB EB``. ``B`` is bytes. A fraction
  must come out as a whole number of bytes.

Units are case-insensitive (``10gib``, ``10GIB``, ``10Gb`` are all accepted): disk sizes have no bit units, so
no spelling is ambiguous. Bare one-letter units (``"10G"``, ``"512M"``) are rejected because they are: some
tools read ``G`` as 1000³, others as 1024³. Floats (``10.5``) are rejected: bytes are whole numbers.

:func:`format_size` writes the largest unit, binary or decimal, that shows the size exactly with at most two
decimals: ``30 GiB``, ``1.5 GiB``, ``200 GB``, ``1023 B``. ``parse_size(format_size(n)) == n`` for every
``n >= 0``.
"""

from __future__ import annotations

import re
from decimal import Decimal

KiB = 1024
MiB = 1024**2
GiB = 1024**3
TiB = 1024**4

_BINARY = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5, "e": 1024**6}
_DECIMAL = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5, "e": 1000**6}

UNITS: dict[str, int] = {"b": 1}
for _prefix, _factor in _BINARY.items():
    UNITS[f"{_prefix}ib"] = _factor
    UNITS[f"{_prefix}i"] = _factor
for _prefix, _factor in _DECIMAL.items():
    UNITS[f"{_prefix}b"] = _factor

# Largest first, so the first unit that shows a size exactly is the one to write.
_FORMAT_UNITS: list[tuple[str, int]] = sorted(
    [(f"{p.upper()}iB", f) for p, f in _BINARY.items()] + [(f"{p.upper()}B", f) for p, f in _DECIMAL.items()],
    key=lambda unit: -unit[1],
)

_SIZE = re.compile(r"\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]*)\s*")

_KIND_WORDS = {
    bool: "true/false",
    float: "a fraction",
    list: "a list",
    dict: "a mapping",
    type(None): "empty",
}
ACCEPTED_FORMS = (
    'bytes as a whole number (2147483648 or "2147483648") or a number with a unit: '
    'KiB MiB GiB TiB (also Ki Mi Gi Ti; powers of 1024) or KB MB GB TB (powers of 1000), e.g. "10GiB"'
)


def parse_size(value: int | str) -> int:
    """Bytes from an int, a digit string or a human size (module docstring). Raises ValueError saying why."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"a size cannot be {_KIND_WORDS.get(type(value), type(value).__name__)}; use {ACCEPTED_FORMS}"
        )
    if isinstance(value, int):
        return value
    match = _SIZE.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a size; use {ACCEPTED_FORMS}")
    number, unit = match["number"], match["unit"]
    if not unit:
        if "." in number:
            raise ValueError(f"{value!r} is not a whole number of bytes; use {ACCEPTED_FORMS}")
        return int(number)
    factor = UNITS.get(unit.lower())
    if factor is None:
        if unit.lower() in _BINARY:
            raise ValueError(
                f"the unit in {value!r} is ambiguous: write {number}{unit.upper()}iB (powers of 1024) "
                f"or {number}{unit.upper()}B (powers of 1000)"
            )
        raise ValueError(f"unknown unit {unit!r} in {value!r}; use {ACCEPTED_FORMS}")
    size = Decimal(number) * factor
    if size != size.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number of bytes ({size} bytes)")
    return int(size)


def format_size(n: int) -> str:
    """A human size for ``n`` bytes, exact, so that it round-trips through :func:`parse_size`."""
    if n < 0:
        return "-" + format_size(-n)
    for name, factor in _FORMAT_UNITS:
        if n >= factor and (n * 100) % factor == 0:
            number = Decimal(n) / factor
            text = f"{number:.2f}".rstrip("0").rstrip(".")
            return f"{text} {name}"
    return f"{n} B"


def bytes_to_mib(n: int) -> int:
    """Whole MiB in ``n`` bytes. Raises ValueError unless ``n`` is a whole number of MiB."""
    if n % MiB:
        raise ValueError(f"{n} bytes ({format_size(n)}) is not a whole number of MiB")
    return n // MiB


def human_size(n: int) -> str:
    """``n`` bytes for people, in the largest binary unit, to one decimal: ``50 GiB``, ``1.5 TiB``. Not exact
    (``53688000000`` is ``50 GiB``): for tables, never for values that are parsed again."""
    for name, factor in (("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= factor:
            return f"{n / factor:.1f}".removesuffix(".0") + f" {name}"
    return f"{n} B"
