"""The status records: what a result keeps, a file beside local state, a table in the pg backend's database."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.postgres import Postgres, running_postgres

from fleetform.terraform.rollout.records import (
    STATUS_FILE,
    Event,
    FileStore,
    PgStore,
    Record,
    RecordError,
    merge,
    store_for_state,
    store_for_workdir,
)


def event(result: str, revision: str | None = "c1", **extra: object) -> Event:
    return Event("shop--a", "a", result, application="shop", revision=revision, at="T", **extra)  # type: ignore[arg-type]


def test_applied_moves_the_revision_and_a_failure_keeps_it() -> None:
    applied = merge(None, event("applied", "c1"))
    assert (applied.result, applied.revision, applied.applied_at, applied.attempted) == (
        "applied",
        "c1",
        "T",
        "c1",
    )
    failed = merge(applied, Event("shop--a", "a", "failed", revision="c2", message="boom", at="U"))
    assert (failed.result, failed.revision, failed.applied_at, failed.attempted, failed.message) == (
        "failed",
        "c1",
        "T",
        "c2",
        "boom",
    )
    assert failed.application == "shop"
    pending = merge(failed, Event("shop--a", "a", "pending", revision="c3", at="V"))
    assert (pending.result, pending.revision, pending.attempted) == ("pending", "c1", "c3")


def test_a_confirmation_clears_only_the_marks_it_names() -> None:
    applied = merge(None, event("applied", "c1"))
    drifted = merge(applied, Event("shop--a", "a", "drifted", message="memory changed"))
    assert (drifted.result, drifted.revision) == ("drifted", "c1")
    in_sync = merge(drifted, Event("shop--a", "a", "applied", confirms=("drifted", "unreachable")))
    assert (in_sync.result, in_sync.revision, in_sync.message) == ("applied", "c1", "")
    # Drift in sync does not turn a failed apply into an applied one.
    failed = merge(applied, Event("shop--a", "a", "failed", revision="c2"))
    assert (
        merge(failed, Event("shop--a", "a", "applied", confirms=("drifted", "unreachable"))).result
        == "failed"
    )
    # The health gate clears its own failure only for the revision that was applied.
    gate_failed = merge(merge(None, event("applied", "c2")), Event("shop--a", "a", "failed", revision="c2"))
    healthy = Event("shop--a", "a", "applied", revision="c2", confirms=("failed", "unreachable"))
    assert merge(gate_failed, healthy).result == "applied"
    assert merge(failed, healthy).result == "failed"
    # Nothing to confirm: no record is made up.
    assert merge(None, healthy).result == "pending"


def test_file_store_round_trip_and_concurrent_writers(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "state" / STATUS_FILE)
    assert store.read() == {}

    def write(n: int) -> None:
        for round_ in range(5):
            store.write([Event(f"app--c{n}", f"c{n}", "applied", revision=f"r{round_}")])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = store.read()
    assert sorted(records) == [f"app--c{n}" for n in range(8)]
    assert {r.revision for r in records.values()} == {"r4"}
    data = json.loads(store.path.read_text())
    assert data["format"] == "fleetform-status/1"


def test_a_broken_file_is_an_error_in_words(tmp_path: Path) -> None:
    path = tmp_path / STATUS_FILE
    path.write_text("{not json")
    with pytest.raises(RecordError, match="is not a fleetform status file"):
        FileStore(path).read()


def test_where_the_records_of_a_stack_live(tmp_path: Path) -> None:
    workdir = tmp_path / "cdktf.out" / "stacks" / "shop"
    workdir.mkdir(parents=True)
    (workdir / "cdk.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": "../../../state/shop.tfstate"}}}})
    )
    store = store_for_workdir(workdir, {})
    assert isinstance(store, FileStore) and store.path == tmp_path / "state" / STATUS_FILE
    (workdir / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"pg": {"schema_name": "x"}}}}))
    store = store_for_workdir(workdir, {"PG_CONN_STR": "postgres://db/x"})
    assert isinstance(store, PgStore) and store.conn_str == "postgres://db/x"
    with pytest.raises(RecordError, match="PG_CONN_STR"):
        store_for_workdir(workdir, {})
    (workdir / "cdk.tf.json").write_text(json.dumps({"terraform": {}}))
    assert store_for_workdir(workdir, {}) is None


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server


def test_pg_store_keeps_one_row_per_stack_in_the_backend_database(postgres: Postgres) -> None:
    store = store_for_state("pg", None, {"PG_CONN_STR": postgres.conn_str})
    assert isinstance(store, PgStore)
    assert store.read() == {}  # no table yet
    store.write([event("applied", "c1"), Event("shop--b", "b", "pending", revision="c1", wave=2, at="T")])
    store.write([Event("shop--a", "a", "failed", revision="c2", message="apply failed", at="U")])
    records = store.read()
    assert records["shop--a"] == Record(
        stack="shop--a",
        cluster="a",
        result="failed",
        at="U",
        application="shop",
        revision="c1",
        applied_at="T",
        attempted="c2",
        message="apply failed",
    )
    assert (records["shop--b"].result, records["shop--b"].wave) == ("pending", 2)


def test_pg_store_unreachable_is_an_error_in_words() -> None:
    store = PgStore("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
    with pytest.raises(RecordError, match=r"cannot connect to PostgreSQL \(PG_CONN_STR\)"):
        store.read()
