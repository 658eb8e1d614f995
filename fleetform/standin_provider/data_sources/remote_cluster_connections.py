"""Data source ``hypercore_remote_cluster_connections`` (``hypercore_remote_cluster_connections_data_source.go``).

The whole ``GET /rest/v1/RemoteClusterConnection`` list, filtered here by ``remoteClusterInfo.clusterName``
when ``remote_cluster_name`` is set; the filter is not copied back, and no match gives a null list.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import (
    API,
    DataSource,
    State,
    any_to_bool,
    any_to_map,
    any_to_string,
    any_to_strings,
    text,
)


class RemoteClusterConnectionsDataSource(DataSource):
    type_name: ClassVar[str] = "hypercore_remote_cluster_connections"

    def read(self, config: State) -> State:
        name = text(config.get("remote_cluster_name"))
        query = {"remoteClusterInfo": {"clusterName": name}} if name else {}
        connections = self.rest.list_records(f"{API}/RemoteClusterConnection", query, recursive=True)
        found = []
        for connection in connections:
            info = any_to_map(connection.get("remoteClusterInfo"))
            node_ips = any_to_strings(connection.get("remoteNodeIPs"))
            node_uuids = any_to_strings(connection.get("remoteNodeUUIDs"))
            found.append(
                {
                    "uuid": any_to_string(connection.get("uuid")),
                    "cluster_name": any_to_string(info.get("clusterName")),
                    "connection_status": any_to_string(connection.get("connectionStatus")),
                    "replication_ok": any_to_bool(connection.get("replicationOK")),
                    "remote_node_ips": node_ips,
                    "remote_node_uuids": node_uuids,
                }
            )
        return {"remote_cluster_name": None, "remote_clusters": found or None}
