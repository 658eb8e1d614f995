"""Snapshot schedules, snapshots, remote cluster connections and replication, as HyperCore has them."""

from __future__ import annotations

from typing import Any

import pytest
from simsupport import Http

from fleetform.simulator.testing import RunningSimulator

WEEKLY = {
    "name": "weekly-tuesday",
    "dtstart": "2010-01-01 00:00:00",
    "rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU",
    "localRetentionDurationSeconds": 6048000,
    "remoteRetentionDurationSeconds": 0,
}


def create_schedule(http: Http, name: str = "nightly", rules: list[dict[str, Any]] | None = None) -> str:
    response = http.post("/VirDomainSnapshotSchedule", {"name": name, "rrules": rules or [WEEKLY]})
    assert response.status_code == 200, response.text
    assert response.json()["taskTag"] == ""  # applied at once: HyperCore gives no task
    return str(response.json()["createdUUID"])


@pytest.mark.parametrize(
    "collection",
    ["VirDomainSnapshotSchedule", "VirDomainSnapshot", "VirDomainReplication", "RemoteClusterConnection"],
)
def test_every_cluster_has_the_collection_empty(http: Http, collection: str) -> None:
    response = http.get(f"/{collection}")
    assert (response.status_code, response.json()) == (200, [])


def test_schedule_round_trips_rules_with_uuids(http: Http) -> None:
    uuid = create_schedule(http)
    (schedule,) = http.get(f"/VirDomainSnapshotSchedule/{uuid}").json()
    assert schedule["name"] == "nightly"
    (rule,) = schedule["rrules"]
    assert {key: rule[key] for key in WEEKLY} == WEEKLY
    assert rule["replication"] is True and isinstance(rule["uuid"], str)


def test_schedule_patch_replaces_rules_and_delete_gives_no_task(http: Http) -> None:
    uuid = create_schedule(http)
    friday = {**WEEKLY, "name": "weekly-friday", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"}
    response = http.patch(f"/VirDomainSnapshotSchedule/{uuid}", {"name": "nightly", "rrules": [friday]})
    assert (response.status_code, response.json()["taskTag"]) == (200, "")
    (schedule,) = http.get(f"/VirDomainSnapshotSchedule/{uuid}").json()
    assert [rule["name"] for rule in schedule["rrules"]] == ["weekly-friday"]
    response = http.delete(f"/VirDomainSnapshotSchedule/{uuid}")
    assert response.json() == {"taskTag": "", "createdUUID": ""}
    assert http.get("/VirDomainSnapshotSchedule").json() == []


@pytest.mark.parametrize(
    "rule",
    [
        {**WEEKLY, "dtstart": "2010-01-01T00:00:00Z"},
        {**WEEKLY, "rrule": "every tuesday"},
        {key: value for key, value in WEEKLY.items() if key != "localRetentionDurationSeconds"},
        {**WEEKLY, "keep": 3},
    ],
)
def test_schedule_with_a_bad_rule_is_400(http: Http, rule: dict[str, Any]) -> None:
    response = http.post("/VirDomainSnapshotSchedule", {"name": "bad", "rrules": [rule]})
    assert response.status_code == 400


def test_schedule_collection_refuses_query_filters(http: Http) -> None:
    assert http.get("/VirDomainSnapshotSchedule", params={"virDomainUUID": "x"}).status_code == 400


def test_vm_snapshot_schedule_must_name_an_existing_schedule(http: Http) -> None:
    vm = http.create_vm("web")
    unknown = http.patch(f"/VirDomain/{vm}", {"snapshotScheduleUUID": "no-such-schedule"})
    assert unknown.status_code == 400
    schedule = create_schedule(http)
    assert http.patch(f"/VirDomain/{vm}", {"snapshotScheduleUUID": schedule}).status_code == 200
    assert http.one(f"/VirDomain/{vm}")["snapshotScheduleUUID"] == schedule
    assert http.patch(f"/VirDomain/{vm}", {"snapshotScheduleUUID": ""}).status_code == 200
    bad_create = http.post("/VirDomain", {"dom": {"name": "db", "snapshotScheduleUUID": "nope"}})
    assert bad_create.status_code == 400


def test_deleting_a_schedule_leaves_its_vms_without_one(http: Http) -> None:
    schedule = create_schedule(http)
    vm = http.create_vm("web", snapshotScheduleUUID=schedule)
    http.delete(f"/VirDomainSnapshotSchedule/{schedule}")
    assert http.one(f"/VirDomain/{vm}")["snapshotScheduleUUID"] == ""


def take_snapshot(http: Http, vm: str, label: str, **extra: Any) -> str:
    response = http.post("/VirDomainSnapshot", {"domainUUID": vm, "label": label, **extra})
    assert response.status_code == 200, response.text
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    return str(response.json()["createdUUID"])


def test_snapshot_keeps_the_vm_as_it_was_and_counts_serial_numbers(http: Http) -> None:
    vm = http.create_vm("web")
    disk = http.add_disk(vm, 10e9)
    first = take_snapshot(http, vm, "snap-0")
    second = take_snapshot(http, vm, "snap-1", type="USER", replication=False)
    (snap,) = http.get(f"/VirDomainSnapshot/{first}").json()
    assert (snap["domainUUID"], snap["label"], snap["type"], snap["replication"]) == (
        vm,
        "snap-0",
        "USER",
        True,
    )
    assert snap["domain"]["name"] == "web" and snap["domain"]["snapshotSerialNumber"] == 1
    assert [device["uuid"] for device in snap["deviceSnapshots"]] == [disk]
    assert http.one(f"/VirDomainSnapshot/{second}")["domain"]["snapshotSerialNumber"] == 2
    record = http.one(f"/VirDomain/{vm}")
    assert record["snapUUIDs"] == [first, second] and record["snapshotSerialNumber"] == 2


def test_snapshot_body_with_uuid_or_vir_domain_uuid_is_400(http: Http) -> None:
    vm = http.create_vm("web")
    assert http.post("/VirDomainSnapshot", {"domainUUID": vm, "label": "a", "uuid": "x"}).status_code == 400
    assert http.post("/VirDomainSnapshot", {"virDomainUUID": vm, "label": "a"}).status_code == 400


def test_snapshot_has_no_patch_and_delete_is_a_task(http: Http) -> None:
    vm = http.create_vm("web")
    snap = take_snapshot(http, vm, "a")
    assert http.patch(f"/VirDomainSnapshot/{snap}", {"label": "b"}).status_code == 405
    response = http.delete(f"/VirDomainSnapshot/{snap}")
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert http.get("/VirDomainSnapshot").json() == []


def test_clone_from_snapshot_has_the_disks_of_the_snapshot(http: Http) -> None:
    vm = http.create_vm("web")
    http.add_disk(vm, 10e9)
    snap = take_snapshot(http, vm, "before")
    http.add_disk(vm, 20e9)
    response = http.post(f"/VirDomain/{vm}/clone", {"template": {"name": "web-restored"}, "snapUUID": snap})
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    clone = response.json()["createdUUID"]
    assert [d["capacity"] for d in http.one(f"/VirDomain/{clone}")["blockDevs"]] == [10_000_000_000]


def test_clone_from_a_snapshot_of_another_vm_is_400(http: Http) -> None:
    web, db = http.create_vm("web"), http.create_vm("db")
    snap = take_snapshot(http, db, "db")
    response = http.post(f"/VirDomain/{web}/clone", {"template": {"name": "x"}, "snapUUID": snap})
    assert response.status_code == 400


def test_disk_clone_from_snapshot_attaches_to_the_target_vm(http: Http) -> None:
    web, target = http.create_vm("web"), http.create_vm("restore")
    disk = http.add_disk(web, 10e9)
    snap = take_snapshot(http, web, "s")
    body = {
        "options": {"regenerateDiskID": False},
        "snapUUID": snap,
        "template": {"virDomainUUID": target, "type": "VIRTIO_DISK", "capacity": 10e9, "name": "dropped"},
    }
    response = http.post(f"/VirDomainBlockDevice/{disk}/clone", body)
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    (device,) = http.one(f"/VirDomain/{target}")["blockDevs"]
    assert (device["uuid"], device["capacity"], device["name"]) == (
        response.json()["createdUUID"],
        10**10,
        "",
    )


def test_deleting_a_vm_deletes_its_snapshots(http: Http) -> None:
    vm = http.create_vm("web")
    take_snapshot(http, vm, "a")
    http.delete(f"/VirDomain/{vm}")
    assert http.get("/VirDomainSnapshot").json() == []


def seed_connection(sim: RunningSimulator, name: str = "dr-site") -> dict[str, Any]:
    return sim.admin.add_remote_cluster(name)


def test_seeded_remote_connection_is_listed(sim: RunningSimulator, http: Http) -> None:
    connection = seed_connection(sim)
    (listed,) = http.get("/RemoteClusterConnection").json()
    assert listed == connection
    assert listed["remoteClusterInfo"]["clusterName"] == "dr-site"
    assert (listed["connectionStatus"], listed["replicationOK"]) == ("ESTABLISHED", True)
    assert listed["remoteNodeIPs"] and listed["remoteNodeUUIDs"]


def test_replication_create_read_update_and_no_delete(sim: RunningSimulator, http: Http) -> None:
    connection = seed_connection(sim)["uuid"]
    vm = http.create_vm("web")
    body = {"sourceDomainUUID": vm, "connectionUUID": connection, "label": "dr", "enable": True}
    response = http.post("/VirDomainReplication", body)
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    uuid = response.json()["createdUUID"]
    (replication,) = http.get(f"/VirDomainReplication/{uuid}").json()
    assert {k: replication[k] for k in body} == body
    assert isinstance(replication["targetDomainUUID"], str) and replication["targetDomainUUID"]
    assert http.one(f"/VirDomain/{vm}")["replicationUUIDs"] == [uuid]
    patched = http.patch(f"/VirDomainReplication/{uuid}", {**body, "enable": False})
    assert http.task(patched.json()["taskTag"])["state"] == "COMPLETE"
    assert http.one(f"/VirDomainReplication/{uuid}")["enable"] is False
    assert http.delete(f"/VirDomainReplication/{uuid}").status_code == 405


def test_second_replication_of_a_vm_fails_to_create(sim: RunningSimulator, http: Http) -> None:
    connection = seed_connection(sim)["uuid"]
    vm = http.create_vm("web")
    body = {"sourceDomainUUID": vm, "connectionUUID": connection}
    assert http.post("/VirDomainReplication", body).status_code == 200
    second = http.post("/VirDomainReplication", body)
    assert second.status_code == 400 and "Failed to create replication" in second.json()["error"]


def test_replication_over_an_unknown_connection_is_400(http: Http) -> None:
    vm = http.create_vm("web")
    response = http.post("/VirDomainReplication", {"sourceDomainUUID": vm, "connectionUUID": "nope"})
    assert response.status_code == 400


def test_reset_removes_remote_connections(sim: RunningSimulator, http: Http) -> None:
    seed_connection(sim)
    sim.admin.reset()
    assert http.get("/RemoteClusterConnection").json() == []
