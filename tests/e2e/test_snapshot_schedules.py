"""Snapshot schedules from x-fleetform, deployed with real Terraform and the stand-in to the simulator, and read
back through HyperCore's REST API: created, attached, changed in place, detached and removed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.sandbox import PROJECT, TEMPLATES, Sandbox, changes

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import run_in_thread

pytestmark = pytest.mark.e2e

SCHEDULES = """\
x-fleetform:
  snapshot_schedule: nightly
  snapshot_schedules:
    - name: nightly
      rules:
        - name: nightly
          start: "2025-01-01 02:00:00"
          frequency: "FREQ=DAILY;INTERVAL=1"
          local_retention: LOCAL
"""
APP = """\
type: Application
version: "1.0.0"
metadata:
  name: edge
SCHEDULES\
spec:
  resources:
    - type: virdomain
      name: pos
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
    - type: virdomain
      name: scratch
      x-fleetform: {snapshot_schedule: false}
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: bios
        state: shutoff
"""


def manifest(local: str | None) -> str:
    schedules = "" if local is None else SCHEDULES.replace("LOCAL", local)
    text = APP.replace("SCHEDULES", schedules)
    if local is None:
        text = text.replace("      x-fleetform: {snapshot_schedule: false}\n", "")
    return text


def schedules(box: Sandbox) -> list[dict[str, Any]]:
    with HypercoreClient(box.simulator.url, box.simulator.username, box.simulator.password) as client:
        return client.get("/rest/v1/VirDomainSnapshotSchedule")


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("schedules")
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        sandbox = Sandbox(root / "project", sim, cli_config)
        sandbox.write_manifest("edge", manifest("7d"))
        sandbox.synth()
        sandbox.apply("edge")
        yield sandbox


def test_a_nightly_schedule_is_deployed_attached_and_plans_clean(box: Sandbox) -> None:
    [schedule] = schedules(box)
    assert schedule["name"] == "edge-nightly"
    [rule] = schedule["rrules"]
    assert (rule["name"], rule["dtstart"], rule["rrule"]) == (
        "nightly",
        "2025-01-01 02:00:00",
        "FREQ=DAILY;INTERVAL=1",
    )
    assert rule["localRetentionDurationSeconds"] == rule["remoteRetentionDurationSeconds"] == 7 * 86400
    vms = box.vms()
    assert vms["pos"]["snapshotScheduleUUID"] == schedule["uuid"]
    assert vms["scratch"]["snapshotScheduleUUID"] == ""
    assert box.plan_exit("edge") == 0


def test_a_changed_rule_is_patched_in_place_and_plans_clean(box: Sandbox) -> None:
    box.write_manifest("edge", manifest("2w"))
    box.synth()
    assert changes(box.plan_json("edge")) == {"hypercore_vm_snapshot_schedule.nightly": ["update"]}
    uuid = schedules(box)[0]["uuid"]
    box.apply("edge")
    [schedule] = schedules(box)
    assert schedule["uuid"] == uuid
    assert schedule["rrules"][0]["localRetentionDurationSeconds"] == 14 * 86400
    assert box.plan_exit("edge") == 0


def fleetform(box: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return box.fleetform(*args, *PROJECT)


def test_a_schedule_deleted_outside_fleetform_is_drift_and_the_next_deploy_creates_it_again(
    box: Sandbox,
) -> None:
    [schedule] = schedules(box)
    with HypercoreClient(box.simulator.url, box.simulator.username, box.simulator.password) as client:
        client.request("DELETE", f"/rest/v1/VirDomainSnapshotSchedule/{schedule['uuid']}")
    # Plain terraform would fail its refresh ("Schedule not found", as the real provider does) on every run.
    drift = fleetform(box, "drift")
    text = " ".join((drift.stdout + drift.stderr).split())
    assert drift.returncode == 2, text
    assert "hypercore_vm_snapshot_schedule.nightly" in text and "deleted outside fleetform" in text
    assert "Schedule not found" not in text
    deployed = fleetform(box, "deploy", "--auto-approve")
    text = " ".join((deployed.stdout + deployed.stderr).split())
    assert deployed.returncode == 0, text
    assert "deleted outside fleetform: will be created again" in text
    [again] = schedules(box)
    assert again["uuid"] != schedule["uuid"] and box.vms()["pos"]["snapshotScheduleUUID"] == again["uuid"]
    assert box.plan_exit("edge") == 0


def test_removing_the_schedule_detaches_the_vm_and_deletes_it(box: Sandbox) -> None:
    box.write_manifest("edge", manifest(None))
    box.synth()
    assert changes(box.plan_json("edge")) == {
        "hypercore_vm.pos": ["update"],
        "hypercore_vm_snapshot_schedule.nightly": ["delete"],
    }
    box.apply("edge")
    assert schedules(box) == []
    assert box.vms()["pos"]["snapshotScheduleUUID"] == ""
    assert box.plan_exit("edge") == 0
