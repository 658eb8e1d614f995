"""Serving the simulator with uvicorn: in a background thread (tests) or until interrupted (the CLI).

The listening socket is bound here, before uvicorn starts, so a busy port is a clear :class:`ConfigError`,
port 0 resolves to the free port the kernel picked, and the port file is written only once the server
accepts connections.

With ``tls`` it serves HTTPS, as real clusters do, with a certificate for its host (and 127.0.0.1/localhost)
issued by a CA of its own made with ``trustme``; the CA's certificate is ``<data>/tls/ca.pem`` (kept with a
``--data`` directory, so clients keep trusting it across restarts). Clients verify with it (``HC_CA_BUNDLE``)
or turn verification off, as they must with a real cluster's self-signed certificate.
"""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket
import threading
import time
from pathlib import Path
from types import FrameType

import uvicorn

from fleetform.simulator.app import create_app
from fleetform.simulator.errors import ConfigError
from fleetform.simulator.settings import Settings

START_TIMEOUT = 15.0


class SimulatorServer:
    """One simulator listening on ``settings.host``/``settings.port``; :meth:`start`, then :meth:`stop`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.port = settings.port
        self.data_dir: Path | None = settings.data_dir
        self.temporary_data_dir = settings.data_dir is None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.ca_file: Path | None = None
        """The PEM file of the CA that issued the HTTPS certificate (``None`` without TLS)."""

    @property
    def url(self) -> str:
        """The base URL clients use as ``HC_HOST`` (the API is under ``/rest/v1``)."""
        host = self.settings.host
        scheme = "https" if self.settings.tls else "http"
        return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def start(self) -> None:
        """Bind, build the app and serve in a daemon thread; returns once requests are accepted."""
        sock = _bind(self.settings.host, self.settings.port)
        try:
            app = create_app(self.settings)
        except BaseException:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self.data_dir = app.state.data_dir
        cert_file = key_file = None
        if self.settings.tls:
            assert self.data_dir is not None
            self.ca_file, cert, key = _tls_files(self.data_dir / "tls", self.settings.host)
            cert_file, key_file = str(cert), str(key)
        config = uvicorn.Config(
            app,
            log_level="info" if self.settings.access_log else "warning",
            access_log=self.settings.access_log,
            lifespan="on",
            timeout_graceful_shutdown=2,
            ssl_certfile=cert_file,
            ssl_keyfile=key_file,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fleetform-simulator", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise ConfigError(f"the simulator did not start on {self.settings.host}:{self.port}")
            time.sleep(0.01)
        if self.settings.port_file is not None:
            self.settings.port_file.write_text(f"{self.port}\n", encoding="utf-8")

    def stop(self) -> None:
        """Shut down (closing the database, removing a temporary data directory) and wait for it."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def serve_forever(self) -> None:
        """Block until Ctrl-C or SIGTERM (handled when called from the main thread), then stop."""
        requested = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            # Only set a flag: an exception raised into Thread.join() can make Python 3.11 think the server
            # thread has ended (bpo-45274), and the process would then exit without shutting down cleanly.
            requested.set()

        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    previous[signum] = signal.signal(signum, request_stop)
        try:
            while self._thread is not None and self._thread.is_alive() and not requested.wait(0.5):
                pass
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def banner(self) -> list[str]:
        """What a person starting the simulator needs to know; the first line is for scripts to parse."""
        data = f"{self.data_dir}" + (
            " (temporary; deleted on exit, use --data DIR to keep it)" if self.temporary_data_dir else ""
        )
        lines = [
            f"fleetform simulator listening on {self.url}",
            f"  REST API  {self.url}/rest/v1  (admin API: {self.url}/admin)",
            f"  login     {self.settings.username} / {self.settings.password}",
            f"  data      {data}",
            f"  env       HC_HOST={self.url} HC_USERNAME={self.settings.username} HC_PASSWORD={self.settings.password}",
        ]
        if self.ca_file is not None:
            lines.insert(4, f"  CA file   {self.ca_file}  (verify with HC_CA_BUNDLE={self.ca_file})")
            lines[-1] += f" HC_CA_BUNDLE={self.ca_file}"
        return lines


def _tls_files(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """The CA certificate, server certificate and key for ``host``; the CA is reused when it exists."""
    import trustme  # only a --tls run needs it

    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = directory / "ca.pem", directory / "ca-key.pem"
    if ca_cert.is_file() and ca_key.is_file():
        ca = trustme.CA.from_pem(ca_cert.read_bytes(), ca_key.read_bytes())
    else:
        ca = trustme.CA(organization_name="fleetform simulator")
        ca.cert_pem.write_to_path(str(ca_cert))
        ca.private_key_pem.write_to_path(str(ca_key))
        ca_key.chmod(0o600)
    names = {"127.0.0.1", "localhost", "::1"}
    if host not in ("0.0.0.0", "::", ""):
        names.add(host)
    issued = ca.issue_cert(*sorted(names, key=lambda name: _is_ip(name)))
    cert_file, key_file = directory / "server.pem", directory / "server-key.pem"
    cert_file.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key_file))
    key_file.chmod(0o600)
    return ca_cert, cert_file, key_file


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # asyncio only disables Nagle on accepted sockets whose proto is IPPROTO_TCP, which a socket made with
    # proto 0 is not; accepted sockets inherit this, else keep-alive requests wait 40 ms for delayed ACKs.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock
