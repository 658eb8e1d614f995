"""Values of a snapshot schedule rule: retention durations, start timestamps, RFC 2445 frequencies.

Pure functions, shared by the manifest model (which reports problems at the manifest's line) and the constructs
(which check props built without a manifest). What HyperCore takes (provider.md §3.2, the Ansible collection's
``snapshot_schedule`` module): ``dtstart`` is the cluster's local time written ``YYYY-MM-DD HH:MM:SS``;
``rrule`` is an RFC 2445 recurrence rule such as ``FREQ=DAILY;INTERVAL=1``; retentions are whole seconds.

Durations (:func:`parse_duration`): an integer of seconds, a digit string, or a number with one unit:
``s``/``sec``/``seconds``, ``min``/``minutes``, ``h``/``hours``, ``d``/``days``, ``w``/``weeks`` (``"7d"``,
``"12 h"``, ``"2w"``). ``m`` is refused (minutes or months?), and months and years have no fixed length.
"""

from __future__ import annotations

import datetime as dt
import re

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY

_UNITS = {
    "": 1,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "min": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": WEEK,
    "week": WEEK,
    "weeks": WEEK,
}
_NO_FIXED_LENGTH = ("mo", "mon", "month", "months", "y", "yr", "year", "years")
_DURATION = re.compile(r"^\s*(\d+)\s*([A-Za-z]*)\s*$")
_SHOWN = ((WEEK, "w"), (DAY, "d"), (HOUR, "h"), (MINUTE, "min"), (1, "s"))

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

FREQUENCIES = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
# RFC 2445 §4.3.10: rule part -> (lowest, highest) of each number in its comma list; a negative bound means
# the number may also be negative (counted from the end).
_NUMBER_LISTS = {
    "BYSECOND": (0, 59),
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (-31, 31),
    "BYYEARDAY": (-366, 366),
    "BYWEEKNO": (-53, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (-366, 366),
}
_PARTS = ("FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "WKST", *_NUMBER_LISTS)
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$")
_UNTIL = re.compile(r"^\d{8}(T\d{6}Z?)?$")


def parse_duration(value: object) -> int:
    """Seconds of a duration (module docstring: the forms). Raises ValueError saying what is wrong."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write e.g. 7d, 12h or 3600")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a duration must not be negative, not {value}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration; write e.g. 7d, 12h or 3600 (seconds)")
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not a duration: write a whole number and one unit, e.g. 7d, 12h, 30min, 2w or "
            "3600 (seconds)"
        )
    number, unit = int(match[1]), match[2].lower()
    if unit == "m":
        raise ValueError(f"{value!r}: 'm' could mean minutes or months; write {number}min, or days")
    if unit in _NO_FIXED_LENGTH:
        raise ValueError(f"{value!r}: months and years have no fixed length; write days, e.g. {number * 30}d")
    if unit not in _UNITS:
        raise ValueError(f"{value!r}: unknown unit '{match[2]}'; use s, min, h, d or w")
    return number * _UNITS[unit]


def format_duration(seconds: int) -> str:
    """The largest unit that shows ``seconds`` exactly: ``7d``, ``36h``, ``90min``, ``45s``."""
    for size, unit in _SHOWN:
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_start(value: object) -> str:
    """A rule's start as HyperCore takes it, ``YYYY-MM-DD HH:MM:SS`` (the cluster's local time). A YAML
    timestamp without a zone is accepted too. Raises ValueError saying what is wrong."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError(
                f"start {value} has a time zone; HyperCore takes the cluster's local time, e.g. "
                f"'{value.strftime(TIMESTAMP_FORMAT)}'"
            )
        if value.microsecond:
            raise ValueError(f"start {value} has fractions of a second; write whole seconds")
        return value.strftime(TIMESTAMP_FORMAT)
    if isinstance(value, dt.date):
        raise ValueError(f"start {value} has no time of day; write e.g. '{value} 02:00:00'")
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError(
            f"start {value!r} must be a local time written YYYY-MM-DD HH:MM:SS, e.g. '2025-01-01 02:00:00'"
        )
    try:
        dt.datetime.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        raise ValueError(f"start {value!r} is not a date and time that exists") from None
    return value


def frequency_problem(text: str) -> str | None:
    """Why ``text`` is not an RFC 2445 recurrence rule fleetform sends as written, or None if it is one."""
    if text != text.upper() or text != text.strip():
        return "write it in upper case without spaces (it is sent and compared as written)"
    seen: set[str] = set()
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name or not value:
            return f"'{part}' is not NAME=VALUE (rule parts are separated by ';')"
        if name not in _PARTS:
            return f"'{name}' is not an RFC 2445 rule part ({', '.join(_PARTS)})"
        if name in seen:
            return f"{name} is given twice"
        seen.add(name)
        problem = _value_problem(name, value)
        if problem:
            return problem
    if "FREQ" not in seen:
        return "FREQ is missing, e.g. FREQ=DAILY;INTERVAL=1"
    if {"UNTIL", "COUNT"} <= seen:
        return "UNTIL and COUNT cannot both be given"
    return None


def _value_problem(name: str, value: str) -> str | None:
    if name == "FREQ" and value not in FREQUENCIES:
        return f"FREQ={value} is not one of {', '.join(FREQUENCIES)}"
    if name in ("COUNT", "INTERVAL") and not (value.isdigit() and int(value) >= 1):
        return f"{name}={value} must be a whole number of at least 1"
    if name == "UNTIL" and not _UNTIL.match(value):
        return f"UNTIL={value} must be a date (20261231) or a date and time (20261231T235959Z)"
    if name == "WKST" and value not in _WEEKDAYS:
        return f"WKST={value} must be one of {', '.join(_WEEKDAYS)}"
    if name == "BYDAY" and not all(_BYDAY.match(day) for day in value.split(",")):
        return f"BYDAY={value} must list weekdays such as MO,WE,FR (or 1MO, -1FR)"
    if name in _NUMBER_LISTS:
        low, high = _NUMBER_LISTS[name]
        for item in value.split(","):
            number = int(item) if re.fullmatch(r"[+-]?\d+", item) else None
            if number is None or not (low <= number <= high) or (low < 0 and number == 0):
                shown = f"{1}..{high} or -{high}..-1" if low < 0 else f"{low}..{high}"
                return f"{name}={value}: '{item}' is not in {shown}"
    return None
