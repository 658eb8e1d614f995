"""Node and Cluster records, and node affinity."""

from __future__ import annotations

from simsupport import Http

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread


def test_node_list_has_one_node_by_default(client: HypercoreClient) -> None:
    (node,) = client.list_nodes()
    assert (node.peer_id, node.lan_ip != "", node.backplane_ip != "") == (1, True, True)


def test_node_record_types_match_the_provider(http: Http) -> None:
    (node,) = http.get("/Node").json()
    assert isinstance(node["uuid"], str) and type(node["peerID"]) is int
    assert isinstance(node["lanIP"], str) and isinstance(node["backplaneIP"], str)


def test_cluster_record_has_name_and_version(http: Http) -> None:
    (cluster,) = http.get("/Cluster").json()
    assert cluster["icosVersion"].startswith("9.4.")
    assert isinstance(cluster["clusterName"], str) and isinstance(cluster["uuid"], str)


def test_cluster_rename_with_name_field_is_400(http: Http) -> None:
    (cluster,) = http.get("/Cluster").json()
    assert http.patch(f"/Cluster/{cluster['uuid']}", {"name": "edge"}).status_code == 400


def test_three_node_cluster_and_start_on_preferred_node() -> None:
    with run_in_thread(nodes=3) as sim:
        http = Http(sim)
        nodes = http.get("/Node").json()
        assert [node["peerID"] for node in nodes] == [1, 2, 3]
        preferred = nodes[2]["uuid"]
        vm = http.create_vm("web", affinityStrategy={"strictAffinity": True, "preferredNodeUUID": preferred})
        http.action(vm, "START")
        assert http.one(f"/VirDomain/{vm}")["nodeUUID"] == preferred


def test_unknown_node_in_vm_patch_is_400(sim: RunningSimulator, http: Http) -> None:
    vm = http.create_vm("web")
    assert http.patch(f"/VirDomain/{vm}", {"affinityStrategy": {"backupNodeUUID": "nope"}}).status_code == 400
