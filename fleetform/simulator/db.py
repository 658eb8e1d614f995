"""SQLite persistence: one database file, entities stored as JSON rows, every change in a transaction.

One connection is shared by all request threads and guarded by a re-entrant lock, and each unit of work runs
in ``BEGIN IMMEDIATE`` ... ``COMMIT``: concurrent requests are serialized, so none can lose or duplicate
another's write, and a crash or restart leaves the last committed state (WAL journal). A second simulator
process on the same file waits for the write lock (``busy_timeout``) rather than corrupting anything.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vms (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS block_devices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
    vm_uuid TEXT NOT NULL REFERENCES vms (uuid) ON DELETE CASCADE,
    type TEXT NOT NULL, slot INTEGER NOT NULL, data TEXT NOT NULL
);
-- A slot holds one device of a type per VM; NVRAM and VTPM have no slot (-1).
CREATE UNIQUE INDEX IF NOT EXISTS block_device_slot ON block_devices (vm_uuid, type, slot) WHERE slot >= 0;
CREATE TABLE IF NOT EXISTS net_devices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
    vm_uuid TEXT NOT NULL REFERENCES vms (uuid) ON DELETE CASCADE,
    mac_address TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS net_device_mac ON net_devices (mac_address);
CREATE TABLE IF NOT EXISTS virtual_disks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS isos (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    path TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot_schedules (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
    vm_uuid TEXT NOT NULL REFERENCES vms (uuid) ON DELETE CASCADE, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_connections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS replications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
    vm_uuid TEXT NOT NULL REFERENCES vms (uuid) ON DELETE CASCADE, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (tag INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vlans (vlan INTEGER PRIMARY KEY, name TEXT NOT NULL);
"""
CLUSTER_TABLES = (
    "vms",
    "block_devices",
    "net_devices",
    "virtual_disks",
    "isos",
    "snapshot_schedules",
    "snapshots",
    "remote_connections",
    "replications",
    "actions",
    "vlans",
)
"""What a reset wipes: the cluster's contents, not its identity, sessions or task numbering."""


class Entity(Protocol):
    """A dataclass with a ``uuid``: what a :class:`Table` stores."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    uuid: str


E = TypeVar("E", bound=Entity)


class Database:
    """The simulator's SQLite file; :meth:`transaction` is the only way to touch it."""

    def __init__(self, path: Path):
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._lock = threading.RLock()
        self._depth = 0
        self._savepoints = 0
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as conn:
            _run_script(conn, SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: undo what the block wrote if it raises, keep the rest of the transaction."""
        with self.transaction() as conn:
            self._savepoints += 1
            name = f"sp{self._savepoints}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                raise
            else:
                conn.execute(f"RELEASE {name}")

    # --- small tables ---------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def append(self, table: str, record: dict[str, Any]) -> int:
        """Add a JSON row to an append-only table (tasks, actions); its new sequence number."""
        with self.transaction() as conn:
            cursor = conn.execute(f"INSERT INTO {table} (data) VALUES (?)", (json.dumps(record),))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def next_sequence(self, table: str) -> int:
        """The number the next :meth:`append` to ``table`` will get."""
        with self.transaction() as conn:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        return 1 if row is None else int(row[0]) + 1

    def replace(self, table: str, key: int, record: dict[str, Any]) -> None:
        key_column = "tag" if table == "tasks" else "seq"
        with self.transaction() as conn:
            conn.execute(f"UPDATE {table} SET data = ? WHERE {key_column} = ?", (json.dumps(record), key))

    def rows(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """The JSON rows of an append-only table, oldest first."""
        key_column = "tag" if table == "tasks" else "seq"
        with self.transaction() as conn:
            found = conn.execute(f"SELECT data FROM {table} {where} ORDER BY {key_column}", params).fetchall()
        return [json.loads(row[0]) for row in found]

    def vlans(self) -> list[tuple[int, str]]:
        with self.transaction() as conn:
            return [(int(v), str(n)) for v, n in conn.execute("SELECT vlan, name FROM vlans ORDER BY vlan")]

    def add_vlan(self, vlan: int, name: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO vlans VALUES (?, ?)", (vlan, name))

    def wipe(self) -> None:
        with self.transaction() as conn:
            for table in CLUSTER_TABLES:
                conn.execute(f"DELETE FROM {table}")


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the open transaction; run the statements one by one instead.
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("--"))
    for statement in code.split(";"):
        if statement.strip():
            conn.execute(statement)


class Table(Generic[E]):
    """The rows of one entity kind, keyed by UUID, in insertion order.

    ``columns`` are entity attributes mirrored into real SQL columns, for lookups and constraints.
    """

    def __init__(self, db: Database, name: str, kind: type[E], columns: tuple[str, ...] = ()):
        self.db = db
        self.name = name
        self.kind = kind
        self.columns = columns

    def get(self, uuid: str) -> E | None:
        found = self._select("WHERE uuid = ?", (uuid,))
        return found[0] if found else None

    def all(self) -> list[E]:
        return self._select("", ())

    def where(self, **match: Any) -> list[E]:
        """The rows whose mirrored columns equal ``match``."""
        clause = " AND ".join(f"{column} = ?" for column in match)
        return self._select(f"WHERE {clause}", tuple(match.values()))

    def count(self, **match: Any) -> int:
        clause = " AND ".join(f"{column} = ?" for column in match)
        with self.db.transaction() as conn:
            row = conn.execute(
                f"SELECT COUNT(*) FROM {self.name} {'WHERE ' + clause if match else ''}",
                tuple(match.values()),
            ).fetchone()
        return int(row[0])

    def insert(self, entity: E) -> None:
        names = ("uuid", *self.columns, "data")
        with self.db.transaction() as conn:
            conn.execute(
                f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                self._values(entity),
            )

    def update(self, entity: E) -> None:
        names = (*self.columns, "data")
        with self.db.transaction() as conn:
            conn.execute(
                f"UPDATE {self.name} SET {', '.join(f'{n} = ?' for n in names)} WHERE uuid = ?",
                (*self._values(entity)[1:], entity.uuid),
            )

    def delete(self, uuid: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(f"DELETE FROM {self.name} WHERE uuid = ?", (uuid,))

    def _values(self, entity: E) -> tuple[Any, ...]:
        data = dataclasses.asdict(entity)
        return (entity.uuid, *(data[column] for column in self.columns), json.dumps(data))

    def _select(self, where: str, params: tuple[Any, ...]) -> list[E]:
        with self.db.transaction() as conn:
            rows = conn.execute(f"SELECT data FROM {self.name} {where} ORDER BY seq", params).fetchall()
        return [self.kind(**json.loads(row[0])) for row in rows]
