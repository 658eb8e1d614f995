"""TaskTag: the lifecycle of tasks, their records, and failed tasks leaving the cluster unchanged."""

from __future__ import annotations

import time

import requests
from simsupport import Http

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator

TASK_KEYS = {
    "taskTag",
    "progressPercent",
    "state",
    "formattedDescription",
    "descriptionParameters",
    "formattedMessage",
    "messageParameters",
    "objectUUID",
    "created",
    "modified",
    "completed",
    "sessionID",
    "nodeUUIDs",
}


def test_task_record_has_every_field_with_its_type(http: Http) -> None:
    response = http.post("/VirDomain", {"dom": {"name": "web"}})
    task = http.task(response.json()["taskTag"])
    assert set(task) == TASK_KEYS
    assert (task["taskTag"], task["state"], task["progressPercent"]) == (
        response.json()["taskTag"],
        "COMPLETE",
        100,
    )
    assert task["objectUUID"] == response.json()["createdUUID"]
    assert all(type(task[key]) is int for key in ("created", "modified", "completed"))
    assert isinstance(task["descriptionParameters"], list) and isinstance(task["nodeUUIDs"], list)


def test_task_moves_from_queued_through_running_to_complete(sim: RunningSimulator, http: Http) -> None:
    sim.admin.set_timing(task_seconds=1.2)
    tag = http.post("/VirDomain", {"dom": {"name": "web"}}).json()["taskTag"]
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        state = http.task(tag)["state"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == "COMPLETE":
            break
        time.sleep(0.03)
    assert seen == ["QUEUED", "RUNNING", "COMPLETE"]


def test_running_task_has_partial_progress(sim: RunningSimulator, http: Http) -> None:
    sim.admin.set_timing(task_seconds=2)
    tag = http.post("/VirDomain", {"dom": {"name": "web"}}).json()["taskTag"]
    time.sleep(0.8)
    task = http.task(tag)
    assert task["state"] == "RUNNING"
    assert 0 < task["progressPercent"] < 100
    assert task["completed"] == 0


def test_rest_client_waits_for_slow_task(sim: RunningSimulator, http: Http, client: HypercoreClient) -> None:
    sim.admin.set_timing(task_seconds=0.3)
    task = client.post("/rest/v1/VirDomain", {"dom": {"name": "web"}, "options": {}})
    status = client.wait_task(task, poll_interval=0.05)
    assert status is not None and status.state == "COMPLETE"


def test_finished_task_stays_readable(http: Http) -> None:
    tag = http.post("/VirDomain", {"dom": {"name": "web"}}).json()["taskTag"]
    for _ in range(5):
        http.create_vm("other")
    assert http.task(tag)["state"] == "COMPLETE"


def test_unknown_task_tag_is_empty_list(http: Http) -> None:
    response = http.get("/TaskTag/999999")
    assert (response.status_code, response.json()) == (200, [])


def test_task_tags_are_distinct_strings(http: Http) -> None:
    tags = [http.post("/VirDomain", {"dom": {"name": f"vm{i}"}}).json()["taskTag"] for i in range(3)]
    assert all(isinstance(tag, str) and tag for tag in tags)
    assert len(set(tags)) == 3


def test_task_records_the_callers_session(sim: RunningSimulator) -> None:
    login = {"username": sim.username, "password": sim.password, "useOIDC": False}
    session_id = requests.post(f"{sim.url}/rest/v1/login", json=login, timeout=10).json()["sessionID"]
    cookies = {"sessionID": session_id}
    tag = requests.post(
        f"{sim.url}/rest/v1/VirDomain", json={"dom": {"name": "web"}}, cookies=cookies, timeout=10
    )
    task = requests.get(f"{sim.url}/rest/v1/TaskTag/{tag.json()['taskTag']}", cookies=cookies, timeout=10)
    assert task.json()[0]["sessionID"] == session_id


def test_failed_task_reports_error_only_when_done(sim: RunningSimulator, http: Http) -> None:
    vm = http.create_vm("web")
    http.action(vm, "START")
    sim.admin.set_timing(task_seconds=0.8)
    tag = http.delete(f"/VirDomain/{vm}").json()["taskTag"]
    assert http.task(tag)["state"] in ("QUEUED", "RUNNING")
    assert http.task(tag)["formattedMessage"] == ""
    time.sleep(0.85)
    assert http.task(tag)["state"] == "ERROR"
    assert http.task(tag)["formattedMessage"]
