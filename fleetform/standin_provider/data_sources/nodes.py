"""Data source ``hypercore_nodes`` (``hypercore_nodes_data_source.go``): the nodes, optionally by peer ID."""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import API, DataSource, State, any_to_int, any_to_string, integer


class NodesDataSource(DataSource):
    type_name: ClassVar[str] = "hypercore_nodes"
    integers: ClassVar[dict[str, int]] = {"peer_id": 64}

    def read(self, config: State) -> State:
        peer_id = integer(config.get("peer_id"))
        nodes = self.api.list(f"{API}/Node", **({"peerID": peer_id} if peer_id else {}))
        return {
            "peer_id": None,  # the Go code builds a fresh model and never copies the filter back
            "nodes": [
                {
                    "uuid": any_to_string(node.get("uuid")),
                    "backplane_ip": any_to_string(node.get("backplaneIP")),
                    "lan_ip": any_to_string(node.get("lanIP")),
                    "peer_id": any_to_int(node.get("peerID")),
                }
                for node in nodes
            ]
            or None,
        }
