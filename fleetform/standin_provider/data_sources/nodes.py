"""Data source ``hypercore_nodes`` (``hypercore_nodes_data_source.go``): the nodes, optionally by peer ID.

The filter is applied here to the whole ``GET /rest/v1/Node`` list; ``peer_id`` is not copied back (the Go
code builds a fresh model), and no match gives a null ``nodes``.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import API, DataSource, State, any_to_int, any_to_string, integer


class NodesDataSource(DataSource):
    type_name: ClassVar[str] = "hypercore_nodes"
    integers: ClassVar[dict[str, int]] = {"peer_id": 64}

    def read(self, config: State) -> State:
        peer_id = float(integer(config.get("peer_id")))  # compared with HyperCore's float64 peerID
        nodes = self.rest.list_records(f"{API}/Node", {"peerID": peer_id} if peer_id != 0.0 else {})
        found = [
            {
                "uuid": any_to_string(node.get("uuid")),
                "backplane_ip": any_to_string(node.get("backplaneIP")),
                "lan_ip": any_to_string(node.get("lanIP")),
                "peer_id": any_to_int(node.get("peerID")),
            }
            for node in nodes
        ]
        return {"peer_id": None, "nodes": found or None}
