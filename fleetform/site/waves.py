"""Waves: the ``rollout:`` section of ``fleetform.yaml``, its checks, and which clusters each wave holds.

```yaml
clusters:
  - {name: store-001, labels: [canary], host: https://10.20.1.5}
  - {name: store-002, labels: [region:eu], host: https://10.20.2.5}
rollout:
  max_parallel: 8            # stacks applied at the same time within a wave (default 4)
  failure_budget: 0          # stacks of a wave that may fail before the rollout stops: a count or "10%"
  health: {timeout: 5m, interval: 5s}
  waves:
    - {name: canary, labels: [canary]}
    - {name: early, share: 10%, approval: true}
    - {name: eu, labels: ["region:eu"], max_parallel: 20}
    - {name: rest}            # no selection: every cluster not in an earlier wave
```

Waves are resolved in order. A wave's candidates are the clusters not in an earlier wave that carry every one
of its ``labels`` and, when it names ``clusters``, are among them; ``share`` takes the first
ceil(share × candidates) of those, in the order of ``clusters:`` in the file (so the same file always gives the
same waves). Clusters that no wave takes go into an implicit last wave named ``rest``.

Errors, each at its line: a label no cluster carries (with a did-you-mean), a cluster name that is not in
``clusters:``, a cluster named by two waves, a share over 100% (or of 0%), a wave that selects no cluster, two
waves with one name, and a ``rollout:`` without ``clusters:``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fleetform.errors import Issue
from fleetform.yamlsrc import did_you_mean, field_error

if TYPE_CHECKING:
    from fleetform.site.config import ClusterConfig
    from fleetform.yamlsrc import YamlDocument

IMPLICIT_WAVE = "rest"
DEFAULT_MAX_PARALLEL = 4
DEFAULT_TIMEOUT = "5m"
DEFAULT_INTERVAL = "5s"

_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}

WaveName = Annotated[str, Field(strict=True, pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
Label = Annotated[str, Field(strict=True, pattern=r"^[^\s,]+$")]
Share = Annotated[str, Field(strict=True, pattern=r"^\s*\d+(\.\d+)?\s*%\s*$")]
Duration = Annotated[str | int | float, Field(union_mode="left_to_right")]


def share_of(text: str) -> float:
    """``"10%"`` -> 0.1."""
    match = _SHARE.match(text)
    if match is None:
        raise ValueError(f"not a share: {text!r}")
    return float(match.group(1)) / 100


def seconds(value: str | int | float) -> float:
    """A duration (``30s``, ``5m``, ``1h``, ``500ms``, or a number of seconds) in seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is not true/false")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"not a duration: {value!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _check_share(value: str | None) -> str | None:
    if value is None:
        return None
    share = share_of(value)
    if share > 1:
        raise field_error(f"a share is at most 100%, not {value.strip()}", "write a share of 1% to 100%")
    if share <= 0:
        raise field_error(
            "a share of 0% selects no cluster", "write a share of 1% to 100%, or remove the wave"
        )
    return value


def _check_duration(value: str | int | float | None) -> str | int | float | None:
    if value is None:
        return None
    try:
        amount = seconds(value)
    except ValueError:
        raise field_error(
            f"{value!r} is not a duration", "write a number with a unit: 30s, 5m, 1h (or seconds)"
        ) from None
    if amount <= 0:
        raise field_error("a duration must be more than 0", "write e.g. 30s or 5m")
    return value


class HealthGate(BaseModel):
    """The health gate after each wave: every VM the wave touched is in its manifest's power state and, where
    the manifest asks for it (``x-fleetform: {health: {guest_ip: true}}``), has reported a guest IP address."""

    model_config = ConfigDict(extra="forbid")

    timeout: Duration | None = Field(
        default=None,
        description="How long the VMs of a wave may take to become healthy: 30s, 5m, 1h (or seconds). "
        f"Default: {DEFAULT_TIMEOUT}.",
        examples=["5m"],
    )
    interval: Duration | None = Field(
        default=None,
        description=f"How often the gate asks the clusters (REST). Default: {DEFAULT_INTERVAL}.",
        examples=["5s"],
    )

    _duration = field_validator("timeout", "interval")(_check_duration)


FailureBudget = Annotated[int, Field(strict=True, ge=0)] | Share


class WaveConfig(BaseModel):
    """One wave: which clusters it holds, and how it is applied."""

    model_config = ConfigDict(extra="forbid")

    name: WaveName = Field(
        description="Wave name (lowercase letters, digits, '-'), shown in the review and the progress.",
        examples=["canary"],
    )
    labels: list[Label] = Field(
        default_factory=list,
        description="Clusters that carry every one of these labels (clusters' `labels:`). Default: any.",
        examples=[["canary"]],
    )
    clusters: list[Annotated[str, Field(strict=True, min_length=1)]] = Field(
        default_factory=list,
        description="Only these clusters (names under `clusters:`). Default: any.",
        examples=[["store-001", "store-002"]],
    )
    share: Share | None = Field(
        default=None,
        description="A share of the clusters not in an earlier wave (and matching labels/clusters), e.g. "
        "`10%`; the first ones in the order of `clusters:`, at least one. Default: all of them.",
        examples=["10%"],
    )
    max_parallel: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        default=None, description="Stacks applied at the same time in this wave. Default: rollout's."
    )
    failure_budget: FailureBudget | None = Field(
        default=None,
        description="Stacks of this wave that may fail (apply or health gate) without stopping the "
        "rollout: a count or a share of the wave's stacks (`10%`, rounded down). Default: rollout's.",
    )
    health: HealthGate | None = Field(
        default=None, description="This wave's health gate. Default: rollout's."
    )
    approval: Annotated[bool, Field(strict=True)] = Field(
        default=False,
        description="In CI, wait for an approval (the GitHub environment `hypercore-approval`) before this "
        "wave. Default: false.",
    )

    _share = field_validator("share")(_check_share)

    @field_validator("failure_budget")
    @classmethod
    def _budget(cls, value: int | str | None) -> int | str | None:
        return _check_budget(value)


def _check_budget(value: int | str | None) -> int | str | None:
    if isinstance(value, str):
        share = share_of(value)
        if share > 1:
            raise field_error(f"a share is at most 100%, not {value.strip()}", "write a count or 0% to 100%")
    return value


class RolloutConfig(BaseModel):
    """``rollout:``: the waves a change goes through, one after the other (``fleetform rollout``)."""

    model_config = ConfigDict(extra="forbid")

    max_parallel: Annotated[int, Field(strict=True, ge=1)] = Field(
        default=DEFAULT_MAX_PARALLEL,
        description="Stacks applied at the same time within a wave (stacks of one cluster always go one "
        f"after another). Default: {DEFAULT_MAX_PARALLEL}.",
    )
    failure_budget: FailureBudget = Field(
        default=0,
        description="Stacks of a wave that may fail (apply or health gate) before the rollout stops: a "
        "count, or a share of the wave's stacks (`10%`, rounded down). Default: 0.",
    )
    health: HealthGate = Field(
        default_factory=HealthGate,
        description=f"The health gate after each wave. Default: timeout {DEFAULT_TIMEOUT}, interval "
        f"{DEFAULT_INTERVAL}.",
    )
    waves: list[WaveConfig] = Field(
        min_length=1,
        description="The waves, in order. Clusters no wave takes form a last wave named `rest`.",
    )

    @field_validator("failure_budget")
    @classmethod
    def _budget(cls, value: int | str) -> int | str:
        checked = _check_budget(value)
        assert checked is not None
        return checked


@dataclass(frozen=True)
class Wave:
    """A wave with its clusters and settings resolved."""

    number: int
    """1-based position."""
    name: str
    clusters: tuple[str, ...]
    max_parallel: int
    failure_budget: int | str
    timeout: float
    """Health gate timeout, seconds."""
    interval: float
    """Health gate polling interval, seconds."""
    approval: bool = False
    implicit: bool = False
    """The implicit last wave of clusters no wave took."""

    @property
    def label(self) -> str:
        """``2 early``: how the review and the progress name the wave."""
        return f"{self.number} {self.name}"

    def budget(self, stacks: int) -> int:
        """How many of ``stacks`` may fail."""
        if isinstance(self.failure_budget, str):
            return math.floor(share_of(self.failure_budget) * stacks + 1e-9)
        return self.failure_budget


def resolve_waves(rollout: RolloutConfig, clusters: Sequence[ClusterConfig]) -> list[Wave]:
    """The waves of ``rollout`` over ``clusters`` (in file order), with an implicit last wave for the rest.
    Assumes :func:`rollout_issues` found nothing; a wave that selects nothing is left out."""
    waves, _ = _resolve(rollout, clusters)
    return waves


def _resolve(
    rollout: RolloutConfig, clusters: Sequence[ClusterConfig]
) -> tuple[list[Wave], dict[int, list[str]]]:
    """The waves, and per wave index the clusters it named that an earlier wave had taken already."""
    taken: set[str] = set()
    waves: list[Wave] = []
    conflicts: dict[int, list[str]] = {}
    default_timeout = seconds(rollout.health.timeout or DEFAULT_TIMEOUT)
    default_interval = seconds(rollout.health.interval or DEFAULT_INTERVAL)
    for index, config in enumerate(rollout.waves):
        named = set(config.clusters)
        conflicts[index] = [name for name in config.clusters if name in taken]
        candidates = [
            c.name
            for c in clusters
            if c.name not in taken
            and all(label in c.labels for label in config.labels)
            and (not named or c.name in named)
        ]
        if config.share is not None and candidates:
            candidates = candidates[: max(1, math.ceil(share_of(config.share) * len(candidates) - 1e-9))]
        taken.update(candidates)
        health = config.health or HealthGate()
        waves.append(
            Wave(
                number=len(waves) + 1,
                name=config.name,
                clusters=tuple(candidates),
                max_parallel=config.max_parallel or rollout.max_parallel,
                failure_budget=config.failure_budget
                if config.failure_budget is not None
                else rollout.failure_budget,
                timeout=seconds(health.timeout) if health.timeout is not None else default_timeout,
                interval=seconds(health.interval) if health.interval is not None else default_interval,
                approval=config.approval,
            )
        )
    rest = tuple(c.name for c in clusters if c.name not in taken)
    if rest:
        waves.append(
            Wave(
                number=len(waves) + 1,
                name=IMPLICIT_WAVE,
                clusters=rest,
                max_parallel=rollout.max_parallel,
                failure_budget=rollout.failure_budget,
                timeout=default_timeout,
                interval=default_interval,
                implicit=True,
            )
        )
    return [w for w in waves if w.clusters], conflicts


def rollout_issues(
    rollout: RolloutConfig | None, clusters: Sequence[ClusterConfig], doc: YamlDocument
) -> list[Issue]:
    """Every problem of the ``rollout:`` section, each at its line."""
    if rollout is None:
        return []
    at = ("rollout",)
    if not clusters:
        return [
            Issue(
                doc.locate_key(at),
                "rollout: needs clusters: the waves are made of clusters",
                "list the clusters under clusters: (with labels: for the waves to pick them), or remove rollout:",
            )
        ]
    issues: list[Issue] = []
    names = [c.name for c in clusters]
    known_labels = sorted({label for c in clusters for label in c.labels})
    seen_waves: dict[str, int] = {}
    for index, wave in enumerate(rollout.waves):
        here = (*at, "waves", index)
        if wave.name in seen_waves:
            first = doc.locate((*at, "waves", seen_waves[wave.name], "name")).line
            issues.append(
                Issue(
                    doc.locate((*here, "name")),
                    f"wave name '{wave.name}' is used twice (first at line {first})",
                    "give each wave its own name",
                )
            )
        seen_waves.setdefault(wave.name, index)
        if wave.name == IMPLICIT_WAVE and index != len(rollout.waves) - 1:
            issues.append(
                Issue(
                    doc.locate((*here, "name")),
                    f"wave name '{IMPLICIT_WAVE}' is kept for the clusters no wave takes (the last wave)",
                    "give this wave another name",
                )
            )
        for number, label in enumerate(wave.labels):
            if label not in known_labels:
                message = f"label '{label}' is not on any cluster"
                guess = did_you_mean(label, known_labels)
                if guess:
                    message += f"; did you mean '{guess}'?"
                hint = (
                    f"cluster labels: {', '.join(known_labels)}"
                    if known_labels
                    else "give clusters labels: (e.g. labels: [canary]) for waves to pick them"
                )
                issues.append(Issue(doc.locate((*here, "labels", number)), message, hint))
        for number, name in enumerate(wave.clusters):
            if name not in names:
                message = f"cluster '{name}' is not under clusters:"
                guess = did_you_mean(name, names)
                if guess:
                    message += f"; did you mean '{guess}'?"
                issues.append(
                    Issue(doc.locate((*here, "clusters", number)), message, "name a listed cluster")
                )
    if issues:
        return issues
    waves, conflicts = _resolve(rollout, clusters)
    by_name = {w.name: w for w in waves}
    owner: dict[str, int] = {}
    for index, wave in enumerate(rollout.waves):
        for name in conflicts[index]:
            earlier = owner.get(name)
            where = f"wave '{rollout.waves[earlier].name}'" if earlier is not None else "an earlier wave"
            issues.append(
                Issue(
                    doc.locate((*at, "waves", index, "clusters", wave.clusters.index(name))),
                    f"cluster '{name}' is in two waves: {where} takes it first",
                    "a cluster belongs to one wave; remove it from one of them",
                )
            )
        resolved = by_name.get(wave.name)
        for name in resolved.clusters if resolved else ():
            owner.setdefault(name, index)
        if resolved is None and not conflicts[index]:
            why = _why_empty(wave)
            issues.append(
                Issue(
                    doc.locate((*at, "waves", index, "name")),
                    f"wave '{wave.name}' selects no cluster: {why}",
                    "change its labels:/clusters:, or remove the wave",
                )
            )
    return issues


def _why_empty(wave: WaveConfig) -> str:
    what = []
    if wave.labels:
        what.append("with labels " + ", ".join(wave.labels))
    if wave.clusters:
        what.append("among " + ", ".join(wave.clusters))
    if not what:
        return "every cluster is in an earlier wave"
    return "every cluster " + " ".join(what) + " is in an earlier wave"


ALL_WAVE = "all"


def site_waves(rollout: RolloutConfig | None, clusters: Sequence[ClusterConfig]) -> list[Wave]:
    """The site's waves; without ``rollout:`` one wave named ``all`` with every cluster (``default``, the cluster
    of ``HC_HOST``, without ``clusters:``) and the defaults: no failure allowed, the default health gate."""
    if rollout is not None:
        return resolve_waves(rollout, clusters)
    names = tuple(c.name for c in clusters) or ("default",)
    return [
        Wave(
            number=1,
            name=ALL_WAVE,
            clusters=names,
            max_parallel=DEFAULT_MAX_PARALLEL,
            failure_budget=0,
            timeout=seconds(DEFAULT_TIMEOUT),
            interval=seconds(DEFAULT_INTERVAL),
            implicit=True,
        )
    ]


def wave_by_cluster(waves: Sequence[Wave]) -> dict[str, Wave]:
    """Cluster name -> its wave."""
    return {name: wave for wave in waves for name in wave.clusters}


def describe(waves: Sequence[Wave]) -> list[dict[str, Any]]:
    """The waves as plain data (JSON output, the CI matrix)."""
    return [
        {
            "number": w.number,
            "name": w.name,
            "clusters": list(w.clusters),
            "max_parallel": w.max_parallel,
            "failure_budget": w.failure_budget,
            "timeout": w.timeout,
            "interval": w.interval,
            "approval": w.approval,
            "implicit": w.implicit,
        }
        for w in waves
    ]
