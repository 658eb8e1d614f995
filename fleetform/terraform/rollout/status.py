"""The fleet at a glance (``fleetform status``): one row per (application, cluster).

Rows come from the site and the manifests (every stack that should exist) joined with the records
(:mod:`.records`): the revision last applied and when, and the latest result. A stack without a record is
``pending`` (never applied by fleetform); a record whose stack no longer exists (manifest deleted, cluster
removed) still shows, marked ``gone``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from fleetform.site.config import SiteConfig
from fleetform.site.waves import resolve_waves, wave_by_cluster
from fleetform.synth.inputs import StackInput
from fleetform.terraform.rollout.records import Record


@dataclass(frozen=True)
class Row:
    """One stack's line in the status."""

    application: str
    cluster: str
    stack: str
    result: str
    revision: str | None = None
    applied_at: str | None = None
    at: str | None = None
    attempted: str | None = None
    wave: str | None = None
    labels: list[str] = field(default_factory=list)
    message: str = ""
    gone: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Filters:
    """Which rows to show: each list is "any of" (empty: all)."""

    applications: Sequence[str] = ()
    clusters: Sequence[str] = ()
    labels: Sequence[str] = ()
    """Cluster labels; a row's cluster must carry all of them."""
    results: Sequence[str] = ()

    def keep(self, row: Row) -> bool:
        return (
            (not self.applications or row.application in self.applications)
            and (not self.clusters or row.cluster in self.clusters)
            and all(label in row.labels for label in self.labels)
            and (not self.results or row.result in self.results)
        )


def status_rows(
    site: SiteConfig,
    stacks: Sequence[StackInput],
    records: Mapping[str, Record],
    filters: Filters | None = None,
) -> list[Row]:
    """Every stack's row (by application, then wave and cluster order), filtered."""
    labels = {c.name: list(c.labels) for c in site.clusters}
    order = {c.name: n for n, c in enumerate(site.clusters)}
    waves = wave_by_cluster(resolve_waves(site.rollout, site.clusters)) if site.rollout else {}
    rows = []
    seen = set()
    for stack in stacks:
        seen.add(stack.name)
        record = records.get(stack.name)
        cluster = stack.target.name
        wave = waves.get(cluster)
        rows.append(
            _row(stack.manifest.name, cluster, stack.name, record, labels, wave.label if wave else None)
        )
    for name, record in records.items():
        if name in seen:
            continue
        wave = waves.get(record.cluster)
        row = _row(
            record.application or name, record.cluster, name, record, labels, wave.label if wave else None
        )
        rows.append(Row(**{**row.to_dict(), "gone": True}))
    chosen = filters or Filters()
    rows = [row for row in rows if chosen.keep(row)]
    return sorted(
        rows, key=lambda r: (r.application, r.wave or "", order.get(r.cluster, len(order)), r.cluster)
    )


def _row(
    application: str,
    cluster: str,
    stack: str,
    record: Record | None,
    labels: Mapping[str, list[str]],
    wave: str | None,
) -> Row:
    if record is None:
        return Row(application, cluster, stack, "pending", wave=wave, labels=labels.get(cluster, []))
    return Row(
        application=application,
        cluster=cluster,
        stack=stack,
        result=record.result,
        revision=record.revision,
        applied_at=record.applied_at,
        at=record.at,
        attempted=record.attempted if record.attempted != record.revision else None,
        wave=wave,
        labels=labels.get(cluster, []),
        message=record.message,
    )


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """Rows per result."""
    found: dict[str, int] = {}
    for row in rows:
        found[row.result] = found.get(row.result, 0) + 1
    return found
