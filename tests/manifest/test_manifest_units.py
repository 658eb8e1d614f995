"""Sizes: every accepted spelling -> bytes, the human format, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetform.manifest.units import GiB, MiB, TiB, bytes_to_mib, format_size, human_size, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (2147483648, 2147483648),
        ("2147483648", 2147483648),
        ("10GiB", 10 * GiB),
        ("10Gi", 10 * GiB),
        ("40MiB", 40 * MiB),
        ("1TiB", TiB),
        ("500GB", 500 * 10**9),
        ("500 GB", 500 * 10**9),
        ("10gib", 10 * GiB),
        ("10Gb", 10 * 10**9),
        ("1.5GiB", 3 * GiB // 2),
        ("4kB", 4000),
        ("512 B", 512),
        (" 8 GiB ", 8 * GiB),
    ],
)
def test_parse_size_accepts_documented_forms(text: int | str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10G", "ambiguous"),
        ("512M", "ambiguous"),
        ("10 gigs", "unknown unit"),
        ("ten GiB", "not a size"),
        ("-5", "not a size"),
        ("1.5", "not a whole number of bytes"),
        ("0.1KiB", "not a whole number of bytes"),
        ("", "not a size"),
        (10.5, "a fraction"),
        (True, "true/false"),
        (None, "empty"),
        ([4, "GiB"], "a list"),
    ],
)
def test_parse_size_rejects_with_accepted_forms(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        parse_size(value)  # type: ignore[arg-type]
    if reason in ("not a size", "unknown unit", "a fraction", "true/false", "empty", "a list"):
        assert "KiB MiB GiB TiB" in str(info.value)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (30 * GiB, "30 GiB"),
        (3 * GiB // 2, "1.5 GiB"),
        (200 * 10**9, "200 GB"),
        (15 * GiB, "15 GiB"),
        (TiB, "1 TiB"),
        (1024, "1 KiB"),
        (1000, "1 KB"),
        (1023, "1023 B"),
        (0, "0 B"),
    ],
)
def test_format_size_picks_largest_exact_unit(n: int, text: str) -> None:
    assert format_size(n) == text


@given(st.integers(min_value=0, max_value=2**70))
def test_format_size_round_trips_through_parse_size(n: int) -> None:
    assert parse_size(format_size(n)) == n


def test_bytes_to_mib_converts_whole_mib() -> None:
    assert bytes_to_mib(16106127360) == 15360


def test_bytes_to_mib_rejects_partial_mib() -> None:
    with pytest.raises(ValueError, match="not a whole number of MiB"):
        bytes_to_mib(10**9)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (53688000000, "50 GiB"),
        (3 * 2**40 // 2, "1.5 TiB"),
        (2 * 2**30, "2 GiB"),
        (1536, "1.5 KiB"),
        (12, "12 B"),
    ],
)
def test_human_size_rounds_to_one_decimal_in_binary_units(n: int, text: str) -> None:
    assert human_size(n) == text
