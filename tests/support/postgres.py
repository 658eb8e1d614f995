"""A throwaway PostgreSQL server on 127.0.0.1 for tests of the pg state backend.

The PostgreSQL binaries (Debian's postgresql package: initdb, pg_ctl) are found on PATH or under
/usr/lib/postgresql/<version>/bin; `make setup` installs the package when they are missing. initdb refuses to
run as root, so as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed; run `make setup` (it installs Debian's postgresql)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Postgres:
    """A running server and how to reach it."""

    port: int
    database: str

    @property
    def conn_str(self) -> str:
        """What Terraform's pg backend reads from PG_CONN_STR."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}?sslmode=disable"


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """Start a server in a new temporary directory (trust authentication on loopback); stop and remove it on
    exit. Not under pytest's tmp_path: the ``postgres`` user could not enter root's private directories."""
    directory = Path(tempfile.mkdtemp(prefix="fleetform-pg-"))
    data = directory / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)  # noqa: E731
    run(_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
    run(
        _binary("pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(directory / "server.log"),
        "-o",
        f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off",
        "-w",
        "start",
    )
    try:
        run(_binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "fleetform")
        yield Postgres(port=port, database="fleetform")
    finally:
        subprocess.run(
            [*as_user, _binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(directory, ignore_errors=True)
