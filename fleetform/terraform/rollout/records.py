"""What was applied where: one record per stack (application on a cluster), kept beside the state.

``apply``, ``deploy`` and ``rollout`` write a record for every stack they apply (``applied`` or ``failed``),
``rollout`` marks the stacks it will apply ``pending`` before it starts and the ones its health gate fails
``failed`` (or ``unreachable`` when the cluster does not answer), and ``drift`` marks stacks ``drifted`` (or
``unreachable``) and ``applied`` again once they are back in sync. ``fleetform status`` reads them.

Where: with the local backend, ``<state dir>/fleetform-status.json`` (one JSON object, stack -> record,
rewritten atomically under an exclusive lock); with the pg backend, the table ``fleetform_status`` in the
``public`` schema of the database in ``PG_CONN_STR`` (created on first use; one row per stack, updated in a
transaction). A record keeps the revision last *applied* (the git commit the plan was made from) and when,
next to the latest result, so a failure never hides what the cluster still runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from fleetform.errors import FleetformError

log = logging.getLogger("fleetform.records")

Result = Literal["applied", "failed", "pending", "drifted", "unreachable"]
RESULTS: tuple[Result, ...] = ("applied", "failed", "pending", "drifted", "unreachable")
STATUS_FILE = "fleetform-status.json"
PG_TABLE = "fleetform_status"
FORMAT = "fleetform-status/1"


class RecordError(FleetformError):
    """The records cannot be read or written (a broken file, an unreachable database)."""


@dataclass(frozen=True)
class Record:
    """The latest of one stack."""

    stack: str
    cluster: str
    result: Result
    at: str
    """When ``result`` was recorded (UTC, ISO 8601)."""
    application: str | None = None
    revision: str | None = None
    """The git commit last applied to the stack (None: never applied by fleetform, or outside git)."""
    applied_at: str | None = None
    """When ``revision`` was applied."""
    attempted: str | None = None
    """The commit of the latest apply or pending rollout (differs from ``revision`` after a failure)."""
    wave: int | None = None
    message: str = ""
    plan: str | None = None
    """The plan directory's creation time: which saved plans the result belongs to."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Event:
    """Something that happened to a stack; :func:`merge` turns it into its new record."""

    stack: str
    cluster: str
    result: Result
    application: str | None = None
    revision: str | None = None
    """The commit the plan was made from (``applied``, ``failed``, ``pending``)."""
    wave: int | None = None
    message: str = ""
    plan: str | None = None
    at: str | None = None
    confirms: tuple[str, ...] = ()
    """A check found the stack as applied (``drift``: in sync; the health gate: healthy): a mark among these
    results goes back to ``applied`` (for the gate only when ``revision`` is the one last applied)."""


def merge(old: Record | None, event: Event) -> Record:
    """The record after ``event``: ``applied`` moves the revision; every other result keeps what the cluster
    was last given."""
    at = event.at or now()
    base = old or Record(stack=event.stack, cluster=event.cluster, result="pending", at=at)
    base = replace(
        base,
        cluster=event.cluster,
        application=event.application or base.application,
        wave=event.wave if event.wave is not None else base.wave,
    )
    if event.confirms:
        if old is None or old.result not in event.confirms or not old.applied_at:
            return base
        if event.revision is not None and old.revision != event.revision:
            return base
        return replace(base, result="applied", at=at, message="")
    if event.result == "applied":
        return replace(
            base,
            result="applied",
            at=at,
            revision=event.revision,
            applied_at=at,
            attempted=event.revision,
            message=event.message,
            plan=event.plan or base.plan,
        )
    if event.result in ("failed", "pending"):
        return replace(
            base,
            result=event.result,
            at=at,
            attempted=event.revision if event.revision is not None else base.attempted,
            message=event.message,
            plan=event.plan or base.plan,
        )
    return replace(base, result=event.result, at=at, message=event.message)


class Store(Protocol):
    """Where the records of one state location live."""

    def read(self) -> dict[str, Record]: ...

    def write(self, events: Iterable[Event]) -> None: ...

    @property
    def where(self) -> str: ...


class FileStore:
    """``<state dir>/fleetform-status.json``: read-modify-write under ``fcntl.flock`` and an atomic replace."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def where(self) -> str:
        return str(self.path)

    def read(self) -> dict[str, Record]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise RecordError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
            return {name: Record.from_dict(item) for name, item in (data.get("stacks") or {}).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise RecordError(f"{self.path} is not a fleetform status file: {exc}") from None

    def write(self, events: Iterable[Event]) -> None:
        events = list(events)
        if not events:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                records = self.read()
                for event in events:
                    records[event.stack] = merge(records.get(event.stack), event)
                data = {"format": FORMAT, "stacks": {k: records[k].to_dict() for k in sorted(records)}}
                temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
                temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
                os.replace(temporary, self.path)
        except OSError as exc:
            raise RecordError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.path.with_name(f".{self.path.name}.lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


_COLUMNS = tuple(f.name for f in fields(Record))
_CREATE = f"""
CREATE TABLE IF NOT EXISTS public.{PG_TABLE} (
    stack text PRIMARY KEY,
    cluster text NOT NULL,
    result text NOT NULL,
    at text NOT NULL,
    application text,
    revision text,
    applied_at text,
    attempted text,
    wave integer,
    message text NOT NULL DEFAULT '',
    plan text
)"""


class PgStore:
    """The table ``public.fleetform_status`` in the pg backend's database (``PG_CONN_STR``)."""

    def __init__(self, conn_str: str):
        self.conn_str = conn_str

    @property
    def where(self) -> str:
        return f"table public.{PG_TABLE} (PG_CONN_STR)"

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError:  # pragma: no cover - a dependency of fleetform
            raise RecordError(
                "the pg backend's records need psycopg (pip install 'psycopg[binary]')"
            ) from None
        try:
            return psycopg.connect(self.conn_str, connect_timeout=10, application_name="fleetform")
        except psycopg.Error as exc:
            raise RecordError(f"cannot connect to PostgreSQL (PG_CONN_STR): {_first_line(exc)}") from None

    def read(self) -> dict[str, Record]:
        import psycopg

        with self._connect() as conn:
            try:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT to_regclass(%s)", (f"public.{PG_TABLE}",))
                    if cursor.fetchone()[0] is None:
                        return {}
                    cursor.execute(f"SELECT {', '.join(_COLUMNS)} FROM public.{PG_TABLE}")
                    rows = cursor.fetchall()
            except psycopg.Error as exc:
                raise RecordError(f"cannot read public.{PG_TABLE}: {_first_line(exc)}") from None
        return {row[0]: Record(**dict(zip(_COLUMNS, row, strict=True))) for row in rows}

    def write(self, events: Iterable[Event]) -> None:
        import psycopg

        events = list(events)
        if not events:
            return
        names = ", ".join(_COLUMNS)
        marks = ", ".join(["%s"] * len(_COLUMNS))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "stack")
        with self._connect() as conn:
            try:
                with conn.transaction(), conn.cursor() as cursor:
                    cursor.execute(_CREATE)
                    # One writer at a time: records are read, merged and written back.
                    cursor.execute(f"LOCK TABLE public.{PG_TABLE} IN SHARE ROW EXCLUSIVE MODE")
                    for event in events:
                        cursor.execute(
                            f"SELECT {names} FROM public.{PG_TABLE} WHERE stack = %s", (event.stack,)
                        )
                        row = cursor.fetchone()
                        old = Record(**dict(zip(_COLUMNS, row, strict=True))) if row else None
                        new = merge(old, event)
                        cursor.execute(
                            f"INSERT INTO public.{PG_TABLE} ({names}) VALUES ({marks}) "
                            f"ON CONFLICT (stack) DO UPDATE SET {updates}",
                            tuple(getattr(new, c) for c in _COLUMNS),
                        )
            except psycopg.Error as exc:
                raise RecordError(f"cannot write public.{PG_TABLE}: {_first_line(exc)}") from None


def store_for_state(backend: str, state_dir: Path | None, env: Mapping[str, str]) -> Store:
    """The records of a state location: a file in the local state directory, or the pg backend's table."""
    if backend == "pg":
        conn = env.get("PG_CONN_STR")
        if not conn:
            raise RecordError("the pg backend's records need PG_CONN_STR in the environment")
        return PgStore(conn)
    if state_dir is None:
        raise RecordError("no local state directory to keep the records in")
    return FileStore(state_dir / STATUS_FILE)


def store_for_workdir(workdir: Path, env: Mapping[str, str]) -> Store | None:
    """The records beside the state of a synthesized stack, from the backend in its Terraform JSON; None when
    the JSON names no backend fleetform knows (Terraform's default local state in the working directory)."""
    backend: dict[str, Any] = {}
    for path in sorted(workdir.glob("*.tf.json")):
        try:
            block = json.loads(path.read_text(encoding="utf-8")).get("terraform") or {}
        except (OSError, ValueError, AttributeError):
            continue
        backend = block.get("backend") or backend
    if "pg" in backend:
        return store_for_state("pg", None, env)
    local = backend.get("local") or {}
    if isinstance(local, dict) and isinstance(local.get("path"), str):
        return store_for_state("local", (workdir / local["path"]).resolve().parent, env)
    return None


def write_events(store: Store | None, events: Iterable[Event]) -> str | None:
    """Write ``events``; the problem in words if they could not be (records never fail a run)."""
    if store is None:
        return None
    try:
        store.write(events)
    except RecordError as exc:
        log.warning("fleetform: the status records were not updated: %s", exc)
        return str(exc)
    return None


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
