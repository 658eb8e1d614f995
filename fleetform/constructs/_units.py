"""Unit conversions the HyperCore provider imposes (provider.md §3.2). Private to the constructs."""

from __future__ import annotations

import math
from dataclasses import dataclass

MIB = 1024 * 1024
GB = 1000 * 1000 * 1000
_MB = 1000 * 1000


def memory_mib(memory_bytes: int) -> int:
    """Bytes -> the provider's ``memory`` (MiB). Raises ValueError unless a whole, positive MiB."""
    if memory_bytes <= 0 or memory_bytes % MIB:
        raise ValueError(f"memory {memory_bytes} bytes is not a whole number of MiB")
    return memory_bytes // MIB


def _round_trips(size_bytes: int) -> bool:
    """Whether the provider turns ``size`` back into the same bytes and the bytes into the same ``size``.

    The provider sends ``capacity = size*1000*1000*1000`` and reads ``capacity/1000/1000/1000``, both in
    float64 and in that order; Python floats are the same IEEE doubles and JSON keeps the shortest repr.
    """
    size = size_bytes / GB
    return size * 1000 * 1000 * 1000 == size_bytes and size_bytes / 1000 / 1000 / 1000 == size


@dataclass(frozen=True)
class DiskSize:
    """A disk size the provider can express: ``gb`` for ``hypercore_disk.size``, ``bytes`` on the cluster."""

    gb: float
    bytes: int
    requested_bytes: int

    @property
    def rounded(self) -> bool:
        """True when the requested byte count could not round-trip and was rounded up."""
        return self.bytes != self.requested_bytes


def disk_size(capacity_bytes: int) -> DiskSize:
    """``capacity_bytes`` itself when it survives the provider's decimal-GB float arithmetic, else the smallest
    whole decimal MB above it that does (a visible, round number rather than a byte count few could read)."""
    if capacity_bytes <= 0:
        raise ValueError(f"disk capacity {capacity_bytes} bytes must be positive")
    if _round_trips(capacity_bytes):
        return DiskSize(capacity_bytes / GB, capacity_bytes, capacity_bytes)
    # Round up to whole decimal MB first (the smallest visible change), then further if a value still fails.
    candidate = math.ceil(capacity_bytes / _MB) * _MB
    for _ in range(1000):
        if _round_trips(candidate):
            return DiskSize(candidate / GB, candidate, capacity_bytes)
        candidate += _MB
    whole_gb = math.ceil(capacity_bytes / GB) * GB
    return DiskSize(whole_gb / GB, whole_gb, capacity_bytes)
