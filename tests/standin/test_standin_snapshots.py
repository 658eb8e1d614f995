"""Snapshots, snapshot schedules, replication and remote cluster connections through the stand-in, bugs included.

Real Terraform against the simulator; each quirk is the Go code's of v1.4.0 (hypercore_vm_snapshot.go,
hypercore_vm_snapshot_schedule.go, hypercore_vm_replication_resource.go,
hypercore_remote_cluster_connections_data_source.go).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.workspace import Workspace, scratch_vm, words

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread

pytestmark = pytest.mark.e2e

NIGHTLY = {
    "name": "nightly",
    "rules": [
        {
            "name": "every night",
            "start_timestamp": "2026-01-01 02:00:00",
            "frequency": "FREQ=DAILY;INTERVAL=1",
            "local_retention_seconds": 604800,
        }
    ],
}


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with run_in_thread() as running:
        yield running


@pytest.fixture
def box(tmp_path: Path, sim: RunningSimulator, cli_config: Path) -> Workspace:
    return Workspace(tmp_path / "tf", sim, cli_config)


def on_cluster(sim: RunningSimulator, path: str) -> list[dict[str, Any]]:
    with HypercoreClient(sim.url, sim.username, sim.password) as client:
        return client.get(path)


def test_schedule_attached_to_a_vm_and_a_labelled_snapshot_plan_clean(box: Workspace) -> None:
    box.write(
        resource={
            "hypercore_vm_snapshot_schedule": {"nightly": NIGHTLY},
            "hypercore_vm": {
                "web": scratch_vm(
                    "web", snapshot_schedule_uuid="${hypercore_vm_snapshot_schedule.nightly.id}"
                )
            },
            "hypercore_vm_snapshot": {
                "before": {"vm_uuid": "${hypercore_vm.web.id}", "label": "before-upgrade"}
            },
        }
    )
    box.apply()
    assert box.plan_exit() == 0
    schedule = box.values("hypercore_vm_snapshot_schedule.nightly")
    assert schedule["rules"] == [{**NIGHTLY["rules"][0], "remote_retention_seconds": 0}]
    [stored] = on_cluster(box.simulator, f"/rest/v1/VirDomainSnapshotSchedule/{schedule['id']}")
    assert stored["rrules"][0]["rrule"] == "FREQ=DAILY;INTERVAL=1"
    assert stored["rrules"][0]["remoteRetentionDurationSeconds"] == 0  # not "same as local", as documented
    [vm] = on_cluster(box.simulator, f"/rest/v1/VirDomain/{box.values('hypercore_vm.web')['id']}")
    assert vm["snapshotScheduleUUID"] == schedule["id"]
    snapshot = box.values("hypercore_vm_snapshot.before")
    assert (snapshot["label"], snapshot["type"]) == ("before-upgrade", "USER")


def test_a_snapshot_needs_a_label_although_the_schema_makes_it_optional(box: Workspace) -> None:
    box.write(
        resource={
            "hypercore_vm": {"web": scratch_vm("web")},
            "hypercore_vm_snapshot": {"snap": {"vm_uuid": "${hypercore_vm.web.id}"}},
        }
    )
    failed = box.apply(check=False)
    assert failed.returncode == 1
    assert "Missing 'label' parameter" in failed.stderr and "Snapshots must be labeled" in failed.stderr
    assert on_cluster(box.simulator, "/rest/v1/VirDomainSnapshot") == []


def test_relabelling_a_snapshot_changes_nothing_and_fails_as_inconsistent(box: Workspace) -> None:
    # Update is empty: the framework keeps the prior state, which contradicts the plan.
    def config(label: str) -> dict[str, Any]:
        return {
            "hypercore_vm": {"web": scratch_vm("web")},
            "hypercore_vm_snapshot": {"snap": {"vm_uuid": "${hypercore_vm.web.id}", "label": label}},
        }

    box.write(resource=config("one"))
    box.apply()
    box.write(resource=config("two"))
    failed = box.apply(check=False)
    assert failed.returncode == 1
    assert "Provider produced inconsistent result after apply" in words(failed)
    [snapshot] = on_cluster(box.simulator, "/rest/v1/VirDomainSnapshot")
    assert snapshot["label"] == "one"
    assert box.plan_exit() == 2  # a perpetual diff


def test_an_imported_schedule_plans_clean(box: Workspace) -> None:
    # ImportState reads rules from the key `rrule` (HyperCore's is `rrules`): only the following read fills them.
    box.write(resource={"hypercore_vm_snapshot_schedule": {"nightly": NIGHTLY}})
    box.apply()
    uuid = box.values("hypercore_vm_snapshot_schedule.nightly")["id"]
    box.terraform("state", "rm", "hypercore_vm_snapshot_schedule.nightly")
    box.write(
        resource={"hypercore_vm_snapshot_schedule": {"nightly": NIGHTLY}},
        **{"import": [{"to": "hypercore_vm_snapshot_schedule.nightly", "id": uuid}]},
    )
    planned = box.terraform("plan", "-input=false", "-no-color")
    assert "1 to import, 0 to add, 0 to change, 0 to destroy" in planned.stdout


def test_replication_over_a_remote_connection_and_its_quirks(box: Workspace) -> None:
    box.simulator.admin.add_remote_cluster("dr-site")
    box.simulator.admin.add_remote_cluster("lab")
    remote = {"hypercore_remote_cluster_connections": {"dr": {"remote_cluster_name": "dr-site"}}}
    replication = {
        "vm_uuid": "${hypercore_vm.web.id}",
        "connection_uuid": "${data.hypercore_remote_cluster_connections.dr.remote_clusters[0].uuid}",
        "label": "to dr",
    }
    box.write(
        data=remote,
        resource={
            "hypercore_vm": {"web": scratch_vm("web")},
            "hypercore_vm_replication": {"dr": replication},
        },
    )
    box.apply()
    [connection] = box.state()["data.hypercore_remote_cluster_connections.dr"]["values"]["remote_clusters"]
    assert connection["cluster_name"] == "dr-site"
    created = box.values("hypercore_vm_replication.dr")
    assert created["target_vm_uuid"] == ""  # the Go code assigns an empty local
    assert (created["enable"], created["label"]) == (True, "to dr")
    box.terraform("apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color")
    [stored] = on_cluster(box.simulator, "/rest/v1/VirDomainReplication")
    assert box.values("hypercore_vm_replication.dr")["target_vm_uuid"] == stored["targetDomainUUID"] != ""

    # Destroying it sends nothing: HyperCore keeps replicating.
    box.write(data=remote, resource={"hypercore_vm": {"web": scratch_vm("web")}})
    box.apply()
    assert [r["uuid"] for r in on_cluster(box.simulator, "/rest/v1/VirDomainReplication")] == [stored["uuid"]]


def test_a_replication_the_cluster_refuses_is_saved_with_an_empty_id(box: Workspace) -> None:
    # HyperCore's 400 is meant as an error but tested as Severity() == 0: a warning, and an empty id.
    connection = box.simulator.admin.add_remote_cluster("dr-site")
    replication = {"vm_uuid": "${hypercore_vm.web.id}", "connection_uuid": connection["uuid"], "label": "a"}
    box.write(
        resource={
            "hypercore_vm": {"web": scratch_vm("web")},
            "hypercore_vm_replication": {"a": replication, "b": {**replication, "label": "b"}},
        }
    )
    applied = box.apply()
    assert "Warning: Couldn't create a VM replication" in applied.stdout + applied.stderr
    assert sorted(box.values(f"hypercore_vm_replication.{name}")["id"] for name in "ab")[0] == ""
    assert len(on_cluster(box.simulator, "/rest/v1/VirDomainReplication")) == 1


def test_replication_without_connection_is_an_error_after_the_request_was_sent(box: Workspace) -> None:
    box.write(
        resource={
            "hypercore_vm": {"web": scratch_vm("web")},
            "hypercore_vm_replication": {
                "r": {"vm_uuid": "${hypercore_vm.web.id}", "label": "x", "connection_uuid": ""}
            },
        }
    )
    box.simulator.admin.clear_requests()
    failed = box.apply(check=False)
    assert failed.returncode == 1
    assert "Missing connection_uuid" in failed.stderr
    posts = [r["path"] for r in box.simulator.admin.requests() if r["method"] == "POST"]
    assert posts.count("/rest/v1/VirDomainReplication") == 1
    assert "hypercore_vm_replication.r" in box.state()  # kept, tainted


def test_remote_cluster_connections_without_a_name_lists_them_all(box: Workspace) -> None:
    box.simulator.admin.add_remote_cluster("dr-site", nodes=3)
    box.write(data={"hypercore_remote_cluster_connections": {"all": {}}})
    box.apply()
    values = box.state()["data.hypercore_remote_cluster_connections.all"]["values"]
    [connection] = values["remote_clusters"]
    assert values["remote_cluster_name"] is None
    assert len(connection["remote_node_ips"]) == len(connection["remote_node_uuids"]) == 3
    assert isinstance(connection["replication_ok"], bool)
