"""Resource types the stand-in serves in its schema but does not implement.

Snapshots, snapshot schedules and replication are outside what fleetform deploys; using one fails at plan time
with a diagnostic that says so, rather than pretending to work.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import DataSource, Resource, State
from fleetform.standin_provider.diagnostics import Failure


def not_supported(type_name: str) -> Failure:
    return Failure(
        f"{type_name} is not supported by the fleetform stand-in",
        "The fleetform stand-in for ScaleComputing/hypercore (simulator mode) does not implement "
        f"{type_name}. Remove it from the configuration, or deploy to a real cluster with the registry "
        "provider.",
    )


class UnsupportedResource(Resource):
    """Every operation fails with :func:`not_supported`."""

    supported: ClassVar[bool] = False

    def create(self, plan: State) -> State:
        raise not_supported(self.type_name)

    def read(self, state: State) -> State:
        raise not_supported(self.type_name)

    def update(self, prior: State, plan: State) -> State:
        raise not_supported(self.type_name)

    def delete(self, state: State) -> None:
        raise not_supported(self.type_name)

    def import_state(self, import_id: str) -> State:
        raise not_supported(self.type_name)


class VmSnapshotResource(UnsupportedResource):
    type_name: ClassVar[str] = "hypercore_vm_snapshot"


class VmSnapshotScheduleResource(UnsupportedResource):
    type_name: ClassVar[str] = "hypercore_vm_snapshot_schedule"


class VmReplicationResource(UnsupportedResource):
    type_name: ClassVar[str] = "hypercore_vm_replication"


class RemoteClusterConnectionsDataSource(DataSource):
    type_name: ClassVar[str] = "hypercore_remote_cluster_connections"
    supported: ClassVar[bool] = False

    def read(self, config: State) -> State:
        raise not_supported(self.type_name)
