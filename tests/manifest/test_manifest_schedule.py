"""Snapshot schedule values (fleetform.manifest.schedule): durations, start timestamps, RFC 2445 frequencies."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetform.manifest.loader import parse_manifest
from fleetform.manifest.schedule import format_duration, frequency_problem, parse_duration, parse_start
from fleetform.manifest.strict import strict_issues


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (3600, 3600),
        ("3600", 3600),
        ("45s", 45),
        ("90min", 5400),
        ("12h", 43200),
        ("12 hours", 43200),
        ("7d", 604800),
        ("7 Days", 604800),
        ("2w", 1209600),
        (0, 0),
    ],
)
def test_durations_in_seconds_or_with_one_unit(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("3m", "minutes or months"),
        ("1mo", "no fixed length"),
        ("1y", "no fixed length"),
        ("7 fortnights", "unknown unit"),
        ("1.5d", "whole number and one unit"),
        ("1d12h", "whole number and one unit"),
        (-1, "must not be negative"),
        (True, "not a duration"),
        (7.0, "not a duration"),
    ],
)
def test_durations_that_are_not_clear_are_refused(text: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_format_duration_reads_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_start_is_the_clusters_local_time_as_hypercore_writes_it() -> None:
    assert parse_start("2025-01-01 02:00:00") == "2025-01-01 02:00:00"
    assert parse_start(dt.datetime(2025, 1, 1, 2, 0)) == "2025-01-01 02:00:00"  # unquoted in YAML
    for bad, why in [
        ("2025-01-01T02:00:00", "YYYY-MM-DD HH:MM:SS"),
        ("2025-02-29 02:00:00", "not a date and time that exists"),
        (dt.date(2025, 1, 1), "no time of day"),
        (dt.datetime(2025, 1, 1, 2, tzinfo=dt.UTC), "time zone"),
        (20250101, "YYYY-MM-DD HH:MM:SS"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_start(bad)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=1",
        "FREQ=MINUTELY;INTERVAL=5",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU",
        "INTERVAL=2;FREQ=WEEKLY;BYDAY=MO,WE,FR;WKST=MO",
        "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=23;BYMINUTE=30",
        "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=-1;UNTIL=20301231T235959Z",
    ],
)
def test_rfc_2445_rules_are_accepted(rule: str) -> None:
    assert frequency_problem(rule) is None


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("freq=daily", "upper case"),
        ("INTERVAL=1", "FREQ is missing"),
        ("FREQ=FORTNIGHTLY", "is not one of"),
        ("FREQ=DAILY;FREQ=WEEKLY", "given twice"),
        ("FREQ=DAILY;INTERVAL=0", "at least 1"),
        ("FREQ=DAILY;EVERY=2", "not an RFC 2445 rule part"),
        ("FREQ=DAILY;", "NAME=VALUE"),
        ("FREQ=WEEKLY;BYDAY=MONDAY", "weekdays"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "not in"),
        ("FREQ=DAILY;UNTIL=2030", "date"),
    ],
)
def test_rules_that_are_not_rfc_2445_say_why(rule: str, why: str) -> None:
    problem = frequency_problem(rule)
    assert problem is not None and why in problem


MANIFEST = """\
type: Application
version: "1.0.0"
metadata:
  name: edge
x-fleetform:
  snapshot_schedule: nightly
  snapshot_schedules:
    - name: nightly
      rules: [{name: n, start: "{{ start }}", frequency: "FREQ=DAILY", local_retention: "{{ days }}d"}]
spec:
  resources:
    - type: virdomain
      name: "web-{{ instance_id }}"
      x-fleetform: {replicas: 2}
      spec: {cpu: 1, memory: "1073741824", machine_type: uefi, state: running}
    - type: virdomain
      name: db
      x-fleetform: {snapshot_schedule: false}
      spec: {cpu: 1, memory: "1073741824", machine_type: uefi, state: running}
"""


def test_the_application_default_reaches_every_vm_but_those_that_say_otherwise() -> None:
    lm = parse_manifest(MANIFEST, "edge.yaml", {"start": "2025-01-01 01:30:00", "days": 3})
    app = lm.application
    assert {vm.name: app.snapshot_schedule_of(vm) for vm in app.spec.resources} == {
        "web-01": "nightly",
        "web-02": "nightly",
        "db": None,
    }
    rule = app.settings.snapshot_schedules[0].rules[0]
    assert (rule.start, rule.local_retention, rule.remote_retention) == ("2025-01-01 01:30:00", 259200, None)


def test_strict_warns_that_fleet_manager_has_no_top_level_extension_key() -> None:
    lm = parse_manifest(MANIFEST, "edge.yaml", {"start": "2025-01-01 01:30:00", "days": 3})
    found = [i for i in strict_issues(lm) if "top" in i.message and "x-fleetform" in i.message]
    assert [(i.location.line, i.severity) for i in found] == [(5, "warning")]
