"""The wave of each planned stack, recorded in the plan index so that the review shows it and the rollout can
tell whether the waves changed since the plans were reviewed."""

from __future__ import annotations

from fleetform.review.bundle import PlanIndex
from fleetform.site.config import SiteConfig
from fleetform.site.waves import resolve_waves, wave_by_cluster


def assign_waves(index: PlanIndex, site: SiteConfig) -> None:
    """Set ``wave``/``wave_name`` of every stack in ``index`` from the site's ``rollout:`` (none without it)."""
    if site.rollout is None:
        return
    by_cluster = wave_by_cluster(resolve_waves(site.rollout, site.clusters))
    for entry in index.stacks.values():
        wave = by_cluster.get(entry.cluster or "")
        entry.wave = wave.number if wave else None
        entry.wave_name = wave.name if wave else None
