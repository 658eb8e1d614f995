"""HypercoreClient transport behaviour against small scripted HTTP(S) servers on 127.0.0.1.

These cover what the simulator does not do on purpose: retries after 503, refused connections, slow answers,
self-signed TLS. Behaviour against a full HyperCore API is in test_hypercore_client_sim.py.
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fleetform.errors import (
    ApiAuthError,
    ApiBadRequest,
    ApiConfigError,
    ApiConnectionError,
    ApiServerError,
    ApiTaskFailed,
    ApiTimeout,
    ApiTlsError,
)
from fleetform.hypercore import HypercoreClient

Reply = tuple[int, Any]


class Recorded:
    """One request the fake server received."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method, self.path, self.headers, self.body = method, path, headers, body


@contextmanager
def fake_cluster(
    reply: Callable[[Recorded], Reply],
    *,
    tls_cert: tuple[Path, Path] | None = None,
    headers: dict[str, str] | None = None,
) -> Iterator[tuple[str, list[Recorded]]]:
    """An HTTP server answering every request with ``reply(request)``; yields its URL and the requests."""
    seen: list[Recorded] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Recorded(self.command, self.path, dict(self.headers), self.rfile.read(length))
            seen.append(request)
            status, body = reply(request)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if request.path == "/rest/v1/login" and status == 200:
                self.send_header("Set-Cookie", "sessionID=sid-1; Path=/")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls_cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls_cert)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def client(url: str, **options: Any) -> HypercoreClient:
    options.setdefault("backoff", 0)
    return HypercoreClient(url, "admin", "secret", **options)


def test_context_manager_logs_in_with_cookie_and_out() -> None:
    with (
        fake_cluster(lambda r: (200, {"sessionID": "sid-1"} if r.path.endswith("login") else [])) as (
            url,
            seen,
        ),
        client(url) as api,
    ):
        api.get("/rest/v1/VirDomain")
    assert [(r.method, r.path) for r in seen] == [
        ("POST", "/rest/v1/login"),
        ("GET", "/rest/v1/VirDomain"),
        ("POST", "/rest/v1/logout"),
    ]
    assert json.loads(seen[0].body) == {"username": "admin", "password": "secret", "useOIDC": False}
    assert "sessionID=sid-1" in seen[1].headers["Cookie"]


def test_login_refused_raises_auth_error_naming_host() -> None:
    with (
        fake_cluster(lambda r: (401, {"error": "Invalid credentials"})) as (url, _),
        pytest.raises(ApiAuthError) as caught,
        client(url),
    ):
        pass
    assert caught.value.status == 401
    assert url in str(caught.value) and "/rest/v1/login" in str(caught.value)


def test_get_retries_503_then_succeeds() -> None:
    answers = iter([(503, {"error": "busy"}), (503, {"error": "busy"}), (200, [{"uuid": "n1"}])])
    with fake_cluster(lambda r: next(answers)) as (url, seen):
        rows = client(url, retries=3, session_login=False).get("/rest/v1/Node")
    assert rows == [{"uuid": "n1"}]
    assert len(seen) == 3


def test_retries_disabled_raises_server_error_on_first_503() -> None:
    with (
        fake_cluster(lambda r: (503, {"error": "busy"})) as (url, seen),
        pytest.raises(ApiServerError) as caught,
    ):
        client(url, retries=0, session_login=False).post("/rest/v1/VirDomain", {"dom": {}})
    assert len(seen) == 1
    assert caught.value.status == 503 and caught.value.reason == "busy"


def test_retries_exhausted_raises_server_error_after_all_attempts() -> None:
    with (
        fake_cluster(lambda r: (500, {"error": "An internal error occurred"})) as (url, seen),
        pytest.raises(ApiServerError),
    ):
        client(url, retries=2, session_login=False).get("/rest/v1/VirDomain")
    assert len(seen) == 3


def test_bad_request_carries_cluster_error_text() -> None:
    with (
        fake_cluster(lambda r: (400, {"error": "Property not allowed"})) as (url, _),
        pytest.raises(ApiBadRequest) as caught,
    ):
        client(url, session_login=False).patch("/rest/v1/Cluster/c1", {"name": "x"})
    assert caught.value.reason == "Property not allowed"
    assert "PATCH /rest/v1/Cluster/c1" in str(caught.value)


def test_refused_connection_raises_connection_error_naming_host() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ApiConnectionError) as caught:
        client(f"http://127.0.0.1:{port}", retries=1, session_login=False).get("/rest/v1/Node")
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "Traceback" not in str(caught.value) and "object at 0x" not in caught.value.reason


def test_slow_answer_raises_timeout() -> None:
    release = threading.Event()

    def slow(request: Recorded) -> Reply:
        release.wait(5)
        return 200, []

    with fake_cluster(slow) as (url, _):
        try:
            with pytest.raises(ApiTimeout):
                client(url, timeout=0.2, session_login=False).get("/rest/v1/Node")
        finally:
            release.set()


def test_self_signed_certificate_fails_verification_unless_disabled(tmp_path: Path) -> None:
    cert = _self_signed(tmp_path)
    with fake_cluster(lambda r: (200, []), tls_cert=cert) as (url, seen):
        with pytest.raises(ApiTlsError) as caught:
            client(url, session_login=False).get("/rest/v1/Node")
        assert "--insecure" in caught.value.reason and "HC_CA_BUNDLE" in caught.value.reason
        assert url in str(caught.value)
        assert client(url, session_login=False, verify_tls=False).get("/rest/v1/Node") == []
        assert client(url, session_login=False, ca_bundle=str(cert[0])).get("/rest/v1/Node") == []
    assert len(seen) == 2  # the failed handshake was not retried


def test_post_is_never_repeated_after_a_server_error_or_a_dropped_answer() -> None:
    for status in (500, 503):
        with (
            fake_cluster(lambda r, s=status: (s, {"error": "An internal error occurred"})) as (url, seen),
            pytest.raises(ApiServerError),
        ):
            client(url, retries=3, session_login=False).post("/rest/v1/VirDomain", {"dom": {"name": "a"}})
        assert [r.method for r in seen] == ["POST"]
    release = threading.Event()

    def slow(request: Recorded) -> Reply:
        release.wait(2)
        return 200, {"taskTag": "1"}

    with fake_cluster(slow) as (url, seen):
        try:
            # The answer does not come in time: the cluster may have started the task, so no second POST.
            with pytest.raises(ApiTimeout):
                client(url, retries=3, timeout=0.2, session_login=False).post("/rest/v1/VirDomain", {})
        finally:
            release.set()
    assert [r.method for r in seen] == ["POST"]


def test_patch_and_virtual_disk_upload_are_never_repeated() -> None:
    with fake_cluster(lambda r: (502, {"error": "bad gateway"})) as (url, seen):
        api = client(url, retries=3, session_login=False)
        with pytest.raises(ApiServerError):
            api.patch("/rest/v1/VirDomain/v1", {"description": "x"})
        with pytest.raises(ApiServerError):
            api.upload("/rest/v1/VirtualDisk/upload", b"disk", "a.img")
    assert [r.method for r in seen] == ["PATCH", "PUT"]


def test_delete_and_iso_data_put_are_retried() -> None:
    answers = iter([(503, {}), (200, {"taskTag": "1"}), (500, {}), (200, {"taskTag": ""})])
    with fake_cluster(lambda r: next(answers)) as (url, seen):
        api = client(url, retries=2, session_login=False)
        assert api.delete("/rest/v1/VirDomain/v1").task_tag == "1"
        api.upload("/rest/v1/ISO/i1/data", io.BytesIO(b"iso-bytes"))
    assert [(r.method, r.body) for r in seen] == [
        ("DELETE", b""),
        ("DELETE", b""),
        ("PUT", b"iso-bytes"),
        ("PUT", b"iso-bytes"),  # the stream was rewound for the retry
    ]


def test_retry_after_is_honoured() -> None:
    stamps: list[float] = []

    def reply(request: Recorded) -> Reply:
        stamps.append(time.monotonic())
        return (503, {"error": "busy"}) if len(stamps) == 1 else (200, [])

    with fake_cluster(reply, headers={"Retry-After": "1"}) as (url, _):
        assert client(url, retries=1, session_login=False).get("/rest/v1/Node") == []
    assert stamps[1] - stamps[0] >= 0.9


def test_refused_post_is_retried_as_it_never_reached_the_cluster() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = client(f"http://127.0.0.1:{port}", retries=2, session_login=False)
    with pytest.raises(ApiConnectionError) as caught:
        api.post("/rest/v1/VirDomain", {})
    assert "Max retries exceeded" in caught.value.reason or "refused" in caught.value.reason.lower()


def test_from_env_reads_the_ca_bundle() -> None:
    api = HypercoreClient.from_env(
        {"HC_HOST": "https://c", "HC_USERNAME": "a", "HC_PASSWORD": "b", "HC_CA_BUNDLE": "/etc/hc-ca.pem"}
    )
    assert api.ca_bundle == "/etc/hc-ca.pem" and api.verify_tls


def test_wait_task_polls_until_complete() -> None:
    states = iter(["QUEUED", "RUNNING", "COMPLETE"])
    with fake_cluster(lambda r: (200, [{"taskTag": "7", "state": next(states)}])) as (url, seen):
        status = client(url, session_login=False).wait_task("7", poll_interval=0.01)
    assert status is not None and status.state == "COMPLETE"
    assert [r.path for r in seen] == ["/rest/v1/TaskTag/7"] * 3


def test_wait_task_error_raises_task_failed_with_message() -> None:
    record = {
        "taskTag": "36199",
        "state": "ERROR",
        "formattedMessage": "Unable to delete block device from VM '%@': Still in use",
        "messageParameters": ["demo-vm"],
    }
    answers = {"DELETE": (200, {"taskTag": "36199", "createdUUID": ""}), "GET": (200, [record])}
    with fake_cluster(lambda r: answers[r.method]) as (url, _):
        api = client(url, session_login=False)
        with pytest.raises(ApiTaskFailed) as caught:
            api.wait_task(api.delete("/rest/v1/VirDomainBlockDevice/d1"), poll_interval=0.01)
    assert caught.value.state == "ERROR"
    assert "Unable to delete block device from VM 'demo-vm': Still in use" in str(caught.value)
    assert "DELETE /rest/v1/VirDomainBlockDevice/d1" in str(caught.value)


def test_wait_task_unknown_or_empty_tag_returns_none() -> None:
    with fake_cluster(lambda r: (200, [])) as (url, seen):
        api = client(url, session_login=False)
        assert api.wait_task("") is None
        assert api.wait_task("99") is None
    assert len(seen) == 1


def test_wait_task_still_running_raises_timeout() -> None:
    with (
        fake_cluster(lambda r: (200, [{"taskTag": "5", "state": "RUNNING"}])) as (url, _),
        pytest.raises(ApiTimeout),
    ):
        client(url, session_login=False).wait_task("5", timeout=0.1, poll_interval=0.02)


def test_upload_streams_file_with_length_and_name_query() -> None:
    with fake_cluster(lambda r: (200, {"taskTag": "3", "createdUUID": "vd-1"})) as (url, seen):
        task = client(url, session_login=False).upload(
            "/rest/v1/VirtualDisk/upload", io.BytesIO(b"disk-bytes"), "img.raw"
        )
    assert task.created_uuid == "vd-1" and task.task_tag == "3"
    assert seen[0].method == "PUT"
    assert seen[0].path == "/rest/v1/VirtualDisk/upload?filename=img.raw&filesize=10"
    assert seen[0].headers["Content-Type"] == "application/octet-stream"
    assert seen[0].headers["Content-Length"] == "10" and seen[0].body == b"disk-bytes"


def test_from_env_names_the_missing_variable() -> None:
    with pytest.raises(ApiConfigError, match="HC_PASSWORD"):
        HypercoreClient.from_env({"HC_HOST": "https://10.0.0.5", "HC_USERNAME": "admin"})


def test_from_env_builds_client_for_host() -> None:
    api = HypercoreClient.from_env(
        {"HC_HOST": "10.0.0.5/", "HC_USERNAME": "admin", "HC_PASSWORD": "pw"}, verify_tls=False
    )
    assert api.host == "https://10.0.0.5"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file
