"""The calls ``apply``/``deploy`` and ``drift`` make to keep the status records (:mod:`.records`).

Kept apart so that the commands that apply plans need one call each; a record that cannot be written is a
warning (logged), never a failed apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fleetform.review.bundle import StackPlan
from fleetform.terraform.rollout.records import (
    Event,
    RecordError,
    Store,
    log,
    store_for_state,
    store_for_workdir,
    write_events,
)


def applied_event(stack: StackPlan, ok: bool, message: str = "") -> Event:
    """The event of one stack's apply of a saved plan."""
    entry = stack.entry
    return Event(
        stack=stack.name,
        cluster=entry.cluster or "default",
        application=entry.application,
        result="applied" if ok else "failed",
        revision=stack.index.commit,
        wave=entry.wave,
        message="" if ok else _short(message),
        plan=stack.index.created,
    )


def record_applies(
    applied: Sequence[tuple[StackPlan, Path]], outcomes: Sequence[Any], env: Mapping[str, str]
) -> None:
    """Record the outcome (``.ok``, ``.summary`` by ``.stack``) of every stack ``apply_plans`` applied."""
    by_name = {o.stack: o for o in outcomes}
    groups: dict[str, tuple[Store | None, list[Event]]] = {}
    for stack, workdir in applied:
        outcome = by_name.get(stack.name)
        if outcome is None:
            continue
        store = store_for_workdir(workdir, env)
        key = store.where if store is not None else ""
        groups.setdefault(key, (store, []))[1].append(applied_event(stack, outcome.ok, outcome.summary))
    for store, events in groups.values():
        write_events(store, events)


def record_drift(
    backend: str, state_dir: Path, results: Sequence[Any], clusters: Mapping[str, str], env: Mapping[str, str]
) -> None:
    """Record what ``fleetform drift`` found: ``drifted``, ``unreachable`` (could not be checked), or back in
    sync. ``results``: :class:`fleetform.terraform.drift.StackDrift`; ``clusters``: stack -> cluster name."""
    events = []
    for result in results:
        if getattr(result, "undeployed", False):
            continue
        cluster = clusters.get(result.stack, "default")
        if result.error:
            events.append(Event(result.stack, cluster, "unreachable", message=_short(result.error)))
        elif result.drifted:
            what = len(result.deleted) + len(result.changed)
            events.append(
                Event(result.stack, cluster, "drifted", message=f"{what} resources changed outside fleetform")
            )
        else:
            events.append(Event(result.stack, cluster, "applied", confirms=("drifted", "unreachable")))
    try:
        store = store_for_state(backend, state_dir, env)
    except RecordError as exc:
        log.warning("fleetform: the status records were not updated: %s", exc)
        return
    write_events(store, events)


def _short(message: str, limit: int = 300) -> str:
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
