"""A scripted HTTP server on 127.0.0.1 for answers the simulator never gives (bodies that are not JSON, ...).

    with ScriptedServer() as server:
        server.answer("GET", "/rest/v1/VirDomain", 200, [{"uuid": "a"}])
        server.answer("POST", "/rest/v1/VirDomain", 500, b"<html>oops</html>")
        ...                                     # talk to server.url
        assert server.requests[0].method == "GET"

Unscripted requests get 404 ``{"error": "not scripted"}``. ``tls=True`` serves HTTPS with a throwaway
self-signed certificate. Every request is recorded with its headers and body.
"""

from __future__ import annotations

import datetime
import json
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """Answers from a script; see the module docstring."""

    tls: bool = False
    requests: list[Seen] = field(default_factory=list)
    _script: dict[tuple[str, str], list[tuple[int, bytes]]] = field(default_factory=dict)

    def answer(self, method: str, path: str, status: int, body: Any, *, times: int = 1000) -> None:
        """Answer ``method path`` (path with query) with ``status`` and ``body`` (JSON unless bytes)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._script[(method, path)] = [(status, raw)] * times

    def __enter__(self) -> ScriptedServer:
        script, seen = self._script, self.requests

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                queue = script.get((self.command, self.path))
                status, raw = queue.pop(0) if queue else (404, b'{"error": "not scripted"}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            with tempfile.TemporaryDirectory() as directory:
                cert, key = _self_signed(Path(directory))
                context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        server = self._server
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.02), daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
