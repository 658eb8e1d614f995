"""Fault injection through /admin/faults: failing tasks, HTTP errors, latency; and the request log."""

from __future__ import annotations

import time
import urllib.error

import pytest
import requests
from simsupport import Http

from fleetform.errors import ApiServerError, ApiTaskFailed
from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator


def test_task_error_fault_fails_create_and_leaves_no_vm(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("task_error", message="Disk full")
    before = len(http.get("/VirDomain").json())
    response = http.post("/VirDomain", {"dom": {"name": "web"}})
    task = http.task(response.json()["taskTag"])
    assert (task["state"], task["formattedMessage"]) == ("ERROR", "Disk full")
    assert http.get(f"/VirDomain/{response.json()['createdUUID']}").status_code == 404
    assert len(http.get("/VirDomain").json()) == before


def test_task_error_fault_fails_only_the_next_n_tasks(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("task_error", times=2)
    states = [
        http.task(http.post("/VirDomain", {"dom": {"name": "web"}}).json()["taskTag"])["state"]
        for _ in range(3)
    ]
    assert states == ["ERROR", "ERROR", "COMPLETE"]


def test_task_error_fault_matches_method_and_path(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("task_error", method="POST", path="/clone$")
    vm = http.create_vm("src")
    clone = http.post(f"/VirDomain/{vm}/clone", {"template": {"name": "copy"}}).json()
    assert http.task(clone["taskTag"])["state"] == "ERROR"
    assert http.get(f"/VirDomain/{clone['createdUUID']}").status_code == 404


def test_task_error_fault_on_failed_clone_raises_in_rest_client(
    sim: RunningSimulator, http: Http, client: HypercoreClient
) -> None:
    sim.admin.add_fault("task_error", path="/clone$", message="Clone failed")
    vm = http.create_vm("src")
    with pytest.raises(ApiTaskFailed, match="Clone failed"):
        client.wait_task(client.post(f"/rest/v1/VirDomain/{vm}/clone", {"template": {"name": "copy"}}))


def test_http_error_fault_answers_500_then_recovers(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("http_error", method="GET", path="^/rest/v1/VirDomain$", times=2)
    statuses = [http.get("/VirDomain").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_http_error_fault_with_503_has_error_body(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("http_error", status=503, path="/Node")
    response = http.get("/Node")
    assert response.status_code == 503
    assert isinstance(response.json()["error"], str)


def test_http_error_fault_on_create_leaves_no_vm(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("http_error", method="POST", path="^/rest/v1/VirDomain$")
    before = len(http.get("/VirDomain").json())
    assert http.post("/VirDomain", {"dom": {"name": "web"}}).status_code == 500
    assert len(http.get("/VirDomain").json()) == before


def test_rest_client_retries_through_http_error_fault(sim: RunningSimulator) -> None:
    sim.admin.add_fault("http_error", path="/Node", times=1)
    with HypercoreClient(sim.url, sim.username, sim.password, retries=1, backoff=0.01) as client:
        assert len(client.list_nodes()) == 1


def test_rest_client_without_retries_raises_server_error(
    sim: RunningSimulator, client: HypercoreClient
) -> None:
    sim.admin.add_fault("http_error", path="/Node")
    with pytest.raises(ApiServerError):
        client.list_nodes()


def test_latency_fault_delays_matching_requests(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("latency", seconds=0.3, path="/Node")
    started = time.monotonic()
    http.get("/Node")
    slow = time.monotonic() - started
    started = time.monotonic()
    http.get("/Cluster")
    fast = time.monotonic() - started
    assert slow >= 0.3 > fast


def test_clearing_faults_removes_them(sim: RunningSimulator, http: Http) -> None:
    sim.admin.add_fault("http_error", path="/Node", times=5)
    sim.admin.clear_faults()
    assert http.get("/Node").status_code == 200
    assert sim.admin.call("GET", "/faults") == []


def test_fault_with_invalid_regex_is_400(sim: RunningSimulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        sim.admin.add_fault("http_error", path="(")
    assert raised.value.code == 400


def test_fault_with_unknown_kind_is_400(sim: RunningSimulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        sim.admin.add_fault("explode")
    assert raised.value.code == 400


def test_request_log_lists_mutating_requests_in_order(sim: RunningSimulator, http: Http) -> None:
    vm = http.create_vm("web")
    http.get("/VirDomain")
    http.delete(f"/VirDomain/{vm}")
    log = sim.admin.requests()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in log] == [
        ("POST", "/rest/v1/VirDomain", 200),
        ("DELETE", f"/rest/v1/VirDomain/{vm}", 200),
    ]


def test_request_log_with_reads_includes_gets(sim: RunningSimulator, http: Http) -> None:
    http.get("/Node")
    assert [entry["method"] for entry in sim.admin.requests(include_reads=True)] == ["GET"]


def test_request_recorder_keeps_path_as_sent_query_and_json_body(sim: RunningSimulator, http: Http) -> None:
    vm = http.create_vm("web")
    sim.admin.clear_requests()
    body = {"virDomainUUID": vm, "type": "VIRTIO_DISK", "capacity": 1e9, "tieringPriorityFactor": 8}
    assert http.post("/VirDomainBlockDevice/", body).status_code == 200
    http.get("/VirDomain", params={"x": "1"})
    log = sim.admin.requests(include_reads=True)
    assert [(e["method"], e["path"], e["query"]) for e in log] == [
        ("POST", "/rest/v1/VirDomainBlockDevice/", ""),  # the trailing slash is kept
        ("GET", "/rest/v1/VirDomain", "x=1"),
    ]
    assert log[0]["body"] == body
    assert log[1]["body"] is None


def test_request_recorder_notes_upload_size_not_bytes(sim: RunningSimulator, http: Http) -> None:
    data = b"\0" * 4096
    response = http.put(
        "/VirtualDisk/upload",
        params={"filename": "a.img", "filesize": len(data)},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    (entry,) = sim.admin.requests()
    assert entry["path"] == "/rest/v1/VirtualDisk/upload"
    assert entry["query"] == "filename=a.img&filesize=4096"
    assert entry["body"] is None and entry["bodySize"] == 4096


def test_request_recorder_never_keeps_the_login_password(sim: RunningSimulator) -> None:
    body = {"username": sim.username, "password": sim.password, "useOIDC": False}
    requests.post(f"{sim.url}/rest/v1/login", json=body, timeout=10)
    (entry,) = sim.admin.requests()
    assert entry["body"] == {"username": sim.username, "password": "<redacted>", "useOIDC": False}


def test_clearing_the_request_recorder_empties_it(sim: RunningSimulator, http: Http) -> None:
    http.create_vm("web")
    sim.admin.clear_requests()
    assert sim.admin.requests(include_reads=True) == []
