"""The stand-in's HTTP layer answers as the real provider's rest_client.go: per call kind, no retries, no TLS check.

Odd answers come from a scripted HTTP server, ordinary ones from the simulator.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from support.http_script import ScriptedServer

from fleetform.simulator.testing import RunningSimulator, run_in_thread
from fleetform.standin_provider.diagnostics import REAL_PANIC, Failure
from fleetform.standin_provider.provider import StandinProvider
from fleetform.standin_provider.rest import Polling, RestClient, TaskTag

LOGIN = {"sessionID": "s-1"}


def client(url: str, username: str = "admin", password: str = "secret") -> RestClient:
    rest = RestClient(url, username, password, "local", 60.0, Polling(interval=0.01))
    rest.login()
    return rest


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as scripted:
        scripted.answer("POST", "/rest/v1/login", 200, LOGIN)
        yield scripted


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with run_in_thread() as running:
        yield running


def panic_of(failure: pytest.ExceptionInfo[Failure]) -> str:
    assert failure.value.summary == "Unexpected error"
    assert failure.value.detail.startswith(f"{REAL_PANIC}: ")
    return failure.value.detail.removeprefix(f"{REAL_PANIC}: ")


def test_login_once_then_the_session_cookie_and_go_headers_on_every_request(server: ScriptedServer) -> None:
    server.answer("GET", "/rest/v1/Node", 200, [])
    rest = client(server.url)
    rest.list_records("/rest/v1/Node")
    rest.list_records("/rest/v1/Node")
    login, *gets = server.requests
    assert (login.method, login.path) == ("POST", "/rest/v1/login")
    assert json.loads(login.body) == {"username": "admin", "password": "secret", "useOIDC": False}
    assert "Cookie" not in login.headers
    assert [(r.method, r.path) for r in gets] == [("GET", "/rest/v1/Node")] * 2
    for request in gets:
        assert request.headers["Cookie"] == "sessionID=s-1"
        assert request.headers["Accept"] == "application/json"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == "Go-http-client/1.1"
        assert "Content-Length" not in request.headers


def test_oidc_login_and_failed_login(server: ScriptedServer) -> None:
    rest = RestClient(server.url, "u", "p", "oidc", 60.0)
    rest.login()
    assert json.loads(server.requests[0].body)["useOIDC"] is True
    server.answer("POST", "/rest/v1/login", 401, {"error": "Unauthorized"})
    with pytest.raises(Failure) as failed:
        rest.login()
    assert (
        panic_of(failed)
        == 'authentication failed with HTTP status code: 401, body: {"error": "Unauthorized"}'
    )


def test_upload_is_octet_stream_with_its_length(server: ScriptedServer) -> None:
    server.answer(
        "PUT",
        "/rest/v1/VirtualDisk/upload?filename=a.img&filesize=3",
        200,
        {"taskTag": "", "createdUUID": "vd"},
    )
    task, error = client(server.url).put_binary_record(
        "/rest/v1/VirtualDisk/upload?filename=a.img&filesize=3", b"abc"
    )
    assert (task, error) == (TaskTag("vd", ""), None)
    upload = server.requests[-1]
    assert upload.headers["Content-Type"] == "application/octet-stream"
    assert upload.headers["Content-Length"] == "3" and upload.body == b"abc"


@pytest.mark.parametrize(
    ("status", "body", "panic"),
    [
        (
            404,
            {"error": "VirDomain 'x' does not exist"},
            'unexpected response: 404 - {"error": "VirDomain \'x\' does not exist"}',
        ),
        (200, {"uuid": "x"}, "expected a JSON list of objects, go: map[uuid:x]"),
        (200, ["x"], "unexpected item in response list: x"),
        (
            200,
            b"<html>proxy error</html>",
            "failed to decode response body: invalid character '<' looking for beginning of value, body=<html>proxy error</html>",
        ),
    ],
)
def test_a_get_that_is_not_a_json_array_of_objects_panics(
    server: ScriptedServer, status: int, body: object, panic: str
) -> None:
    server.answer("GET", "/rest/v1/VirDomain/x", status, body)
    with pytest.raises(Failure) as failed:
        client(server.url).get_record("/rest/v1/VirDomain/x")
    assert panic_of(failed) == panic


def test_get_record_filters_here_and_panics_on_more_than_one(server: ScriptedServer) -> None:
    server.answer("GET", "/rest/v1/VirDomain", 200, [{"name": "a", "uuid": "1"}, {"name": "a", "uuid": "2"}])
    rest = client(server.url)
    assert rest.get_record("/rest/v1/VirDomain", {"name": "b"}) is None
    with pytest.raises(Failure) as failed:
        rest.get_record("/rest/v1/VirDomain", {"name": "a"})
    assert panic_of(failed) == "2 records from endpoint /rest/v1/VirDomain match the map[name:a] query."
    assert all(request.path == "/rest/v1/VirDomain" for request in server.requests[1:])  # no query sent


def test_post_returns_a_400_error_text_and_any_other_answer_without_task_tag(server: ScriptedServer) -> None:
    rest = client(server.url)
    server.answer("POST", "/rest/v1/VirDomainNetDevice", 400, {"error": "Invalid VLAN"})
    assert rest.create_record("/rest/v1/VirDomainNetDevice", {"vlan": 1}) == (None, 400, "Invalid VLAN")
    server.answer("POST", "/rest/v1/VirDomainNetDevice", 503, {"error": "Service unavailable"})
    assert rest.create_record("/rest/v1/VirDomainNetDevice", {"vlan": 1}) == (
        None,
        503,
        '{"error":"Service unavailable"}',
    )
    server.answer("POST", "/rest/v1/VirDomainNetDevice", 500, {"taskTag": "7", "createdUUID": "n"})
    assert rest.create_record("/rest/v1/VirDomainNetDevice", {}) == (TaskTag("n", "7"), 500, None)


def test_a_refused_connection_on_post_is_a_nil_pointer_panic() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rest = RestClient(f"http://127.0.0.1:{port}", "u", "p", "local", 60.0)
    with pytest.raises(Failure) as failed:
        rest.create_record("/rest/v1/VirDomain", {})
    assert panic_of(failed) == "runtime error: invalid memory address or nil pointer dereference"
    with pytest.raises(Failure) as failed:
        rest.list_records("/rest/v1/VirDomain")
    assert panic_of(failed) == (
        f'error making a request: Get "{rest.host}/rest/v1/VirDomain": dial tcp 127.0.0.1:{port}: connect: '
        "connection refused"
    )


def test_patch_and_action_post_panic_on_400(server: ScriptedServer) -> None:
    rest = client(server.url)
    server.answer("PATCH", "/rest/v1/VirDomainBlockDevice/d", 400, {"error": "Capacity can only grow"})
    with pytest.raises(Failure) as failed:
        rest.update_record("/rest/v1/VirDomainBlockDevice/d", {"capacity": 0.0})
    assert panic_of(failed) == "unexpected response body: map[error:Capacity can only grow]"
    server.answer("POST", "/rest/v1/VirDomain/action", 400, {"error": "bad action"})
    with pytest.raises(Failure) as failed:
        rest.create_record_with_list("/rest/v1/VirDomain/action", [{"actionType": "START"}])
    assert panic_of(failed) == "unexpected response body: map[error:bad action]"


def test_delete_accepts_any_status_and_needs_a_json_body(server: ScriptedServer) -> None:
    rest = client(server.url)
    server.answer("DELETE", "/rest/v1/ISO/i", 500, {"error": "ISO is in use"})
    assert rest.delete_record("/rest/v1/ISO/i") is None  # nothing to wait for, no error
    server.answer("DELETE", "/rest/v1/ISO/i", 204, b"")
    with pytest.raises(Failure) as failed:
        rest.delete_record("/rest/v1/ISO/i")
    assert panic_of(failed) == "failed to decode response body: unexpected end of JSON input, body="


def test_nothing_is_retried(server: ScriptedServer) -> None:
    server.answer("GET", "/rest/v1/Node", 503, {"error": "Service unavailable"})
    with pytest.raises(Failure):
        client(server.url).list_records("/rest/v1/Node")
    assert [r.path for r in server.requests] == ["/rest/v1/login", "/rest/v1/Node"]


def test_tls_is_never_verified() -> None:
    with ScriptedServer(tls=True) as scripted:
        scripted.answer("POST", "/rest/v1/login", 200, LOGIN)
        scripted.answer("GET", "/rest/v1/Node", 200, [{"uuid": "n1"}])
        assert client(scripted.url).list_records("/rest/v1/Node") == [{"uuid": "n1"}]


def test_a_failed_task_panics_with_its_record(sim: RunningSimulator) -> None:
    rest = client(sim.url, sim.username, sim.password)
    sim.admin.add_fault("task_error", path="/VirDomain$", times=1, message="Out of memory")
    task, _, error = rest.create_record("/rest/v1/VirDomain", {"dom": {"name": "t1"}, "options": {}})
    assert error is None and task is not None
    with pytest.raises(Failure) as failed:
        rest.wait_task(task)
    panic = panic_of(failed)
    assert panic.startswith("Error executing task: ERROR, &map[") and "Out of memory" in panic
    assert "state:ERROR" in panic and f"taskTag:{task.task_tag}" in panic


def test_timeout_is_60_seconds_unless_set_and_then_none(sim: RunningSimulator) -> None:
    def configured(environ: dict[str, str], timeout: float | None = None) -> float | None:
        provider = StandinProvider(environ={**sim.env(), **environ})
        assert provider.configure({"timeout": timeout}) == []
        assert provider.client is not None
        return provider.client.timeout

    assert configured({}) == 60.0
    assert configured({"HC_TIMEOUT": "600.0"}) is None
    assert configured({}, timeout=5.0) is None  # provider.go never parses it: no limit at all


def test_a_host_without_scheme_fails_at_login_like_go(sim: RunningSimulator) -> None:
    provider = StandinProvider(environ={**sim.env(), "HC_HOST": "10.0.0.1"})
    [failure] = provider.configure({})
    assert failure.detail.endswith(
        'couldn\'t authenticate: Post "10.0.0.1/rest/v1/login": unsupported protocol scheme ""'
    )
