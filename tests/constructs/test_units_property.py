"""The decimal-GB conversion of disk capacities, checked against the provider's own float arithmetic."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from fleetform.constructs._units import GB, disk_size

MB = 1000 * 1000
TIB_16 = 16 * 1024**4


def provider_round_trip(size_gb: float, capacity: int) -> bool:
    """What the Go provider does: ``capacity = size*1000*1000*1000`` sent, ``capacity/1000/1000/1000`` read."""
    return size_gb * 1000 * 1000 * 1000 == capacity and capacity / 1000 / 1000 / 1000 == size_gb


@given(st.integers(min_value=1, max_value=TIB_16))
@example(1024**3)  # 1 GiB: does not round-trip
@example(50 * 1024**3)  # the seed's 50 GiB disks
@example(10 * 1024**3)  # 10 GiB: round-trips as is
@example(20 * GB)
def test_disk_size_is_the_smallest_round_tripping_size_at_or_above_the_request(capacity: int) -> None:
    size = disk_size(capacity)
    assert size.bytes >= capacity and size.requested_bytes == capacity
    assert provider_round_trip(size.gb, size.bytes)
    assert size.gb == size.bytes / GB
    if provider_round_trip(capacity / GB, capacity):
        assert size.bytes == capacity and not size.rounded
    else:
        assert size.rounded and size.bytes % MB == 0
        # No whole MB between the request and the result survives the provider's arithmetic.
        first = -(-capacity // MB) * MB
        for smaller in range(first, size.bytes, MB):
            assert not provider_round_trip(smaller / GB, smaller)
