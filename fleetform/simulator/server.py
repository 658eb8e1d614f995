"""Serving the simulator with uvicorn: in a background thread (tests) or until interrupted (the CLI).

The listening socket is bound here, before uvicorn starts, so a busy port is a clear :class:`ConfigError`,
port 0 resolves to the free port the kernel picked, and the port file is written only once the server
accepts connections.
"""

from __future__ import annotations

import errno
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

    @property
    def url(self) -> str:
        """The base URL clients use as ``HC_HOST`` (the API is under ``/rest/v1``)."""
        host = self.settings.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

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
        config = uvicorn.Config(
            app,
            log_level="info" if self.settings.access_log else "warning",
            access_log=self.settings.access_log,
            lifespan="on",
            timeout_graceful_shutdown=2,
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
        return [
            f"fleetform simulator listening on {self.url}",
            f"  REST API  {self.url}/rest/v1  (admin API: {self.url}/admin)",
            f"  login     {self.settings.username} / {self.settings.password}",
            f"  data      {data}",
            f"  env       HC_HOST={self.url} HC_USERNAME={self.settings.username} HC_PASSWORD={self.settings.password}",
        ]


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
