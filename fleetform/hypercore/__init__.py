"""HyperCore REST API client: :class:`HypercoreClient` and typed read models of its records."""

from fleetform.hypercore.client import HypercoreClient
from fleetform.hypercore.models import (
    AffinityStrategy,
    BlockDevice,
    Iso,
    NetDevice,
    Node,
    SnapshotSchedule,
    TaskResponse,
    TaskTag,
    VirDomain,
    VirtualDisk,
)

__all__ = [
    "AffinityStrategy",
    "BlockDevice",
    "HypercoreClient",
    "Iso",
    "NetDevice",
    "Node",
    "SnapshotSchedule",
    "TaskResponse",
    "TaskTag",
    "VirDomain",
    "VirtualDisk",
]
