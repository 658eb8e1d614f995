"""``fleetform rollout``: apply saved, reviewed plans wave by wave, with a health gate after each wave.

Never a new plan: the plans are checked exactly as ``fleetform apply`` checks them
(:func:`fleetform.terraform.plans.check_plans`: refused, failed or already applied plans, Terraform JSON synthesized
again since) before anything is applied, and each stack is applied by :func:`fleetform.terraform.plans.apply_one` (a
stale plan is refused by Terraform and reported). The waves come from ``fleetform.yaml``'s ``rollout:`` (without
it, one wave ``all`` with every cluster: apply with a health gate) and must be the ones the plans were reviewed
with (the plan index records each stack's wave).

Within a wave, up to the wave's ``max_parallel`` stacks apply at once (the stacks of one cluster one after
another, as HyperCore runs one task per VM at a time). Then the health gate (:mod:`.health`) checks every VM
the wave touched. Stacks whose apply or gate failed count against the wave's failure budget; beyond it the
rollout stops, and later waves are not touched. A stop on request (:meth:`Rollout.request_stop`, the first
Ctrl-C) lets the applies in progress finish and starts nothing new; :meth:`Rollout.interrupt` (the second)
tells the running Terraforms to stop.

Resuming: the plan index says which plans were applied (never applied again) and the journal
(:mod:`.journal`) which waves passed their gate (skipped). After a fix, ``fleetform plan`` and ``fleetform
rollout`` again: the stacks already at the new revision plan no changes, so the new rollout picks up where the
old one stopped.

CI: ``waves``/``stacks`` select one wave's shard; ``gate=False`` applies without the gate, ``apply=False`` only
gates (and counts the wave's failures from the status records of this plan set, which the shard jobs wrote).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.errors import FleetformError
from fleetform.review.bundle import Bundle, BundleError, StackPlan, load_bundle, write_index
from fleetform.site.config import SiteConfig
from fleetform.site.waves import Wave, site_waves, wave_by_cluster
from fleetform.synth.inputs import StackInput, load_inputs
from fleetform.terraform.plans import PlanRefused, apply_one, check_plans
from fleetform.terraform.rollout.health import Gate, VmCheck, checks_for
from fleetform.terraform.rollout.hooks import applied_event
from fleetform.terraform.rollout.journal import JOURNAL, Journal
from fleetform.terraform.rollout.records import Event, Record, Store, store_for_workdir, write_events
from fleetform.terraform.runner import Terraform, interrupt_running

FAILED = ("failed", "unhealthy", "unreachable")
"""Stack states that count against a wave's failure budget."""


class RolloutError(FleetformError):
    """The rollout cannot start (a wave that does not exist, records that cannot be read)."""


@dataclass
class StackRun:
    """One stack of the rollout and where it is.

    States: ``unchanged`` (its plan changes nothing), ``applied-before`` (applied by an earlier run),
    ``waiting`` (a later wave), ``queued``, ``applying``, ``applied``, ``failed``, ``gating``, ``healthy``,
    ``unhealthy``, ``unreachable``, ``not started`` (the rollout stopped first), ``interrupted``.
    """

    name: str
    cluster: str
    wave: Wave
    plan: StackPlan
    application: str | None = None
    workdir: Path | None = None
    state: str = "waiting"
    message: str = ""
    seconds: float = 0.0
    """How long its apply took (``terraform init`` and ``apply``)."""
    applied: str = ""
    """Terraform's closing line of its apply (``Apply complete! Resources: ...``), or its error."""

    @property
    def failed(self) -> bool:
        return self.state in FAILED


@dataclass
class WaveRun:
    """One wave and where it is: ``waiting``, ``applying``, ``gating``, ``passed``, ``passed before``,
    ``stopped`` (failures beyond the budget), ``interrupted`` or ``not started``."""

    wave: Wave
    stacks: list[StackRun]
    state: str = "waiting"
    gate_note: str = ""

    @property
    def changing(self) -> list[StackRun]:
        """The stacks whose plan changes something."""
        return [s for s in self.stacks if s.state != "unchanged"]

    @property
    def budget(self) -> int:
        return self.wave.budget(len(self.changing))

    @property
    def failures(self) -> list[StackRun]:
        return [s for s in self.stacks if s.failed]


@dataclass
class RolloutOptions:
    """What ``fleetform rollout`` was asked to do."""

    plan_dirs: Sequence[Path]
    manifests: Sequence[Path] = (Path("manifests"),)
    config: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    waves: Sequence[int] | None = None
    """Only these waves (1-based). Default: all."""
    stacks: Sequence[str] | None = None
    """Only these stacks (a CI shard). Default: all."""
    apply: bool = True
    gate: bool = True
    parallelism: int = 1
    lock_timeout: str | None = None
    insecure: bool = False
    timeout: float | None = None
    """Override every wave's gate timeout (seconds)."""
    interval: float | None = None


@dataclass
class Outcome:
    """How the rollout ended: ``completed``, ``stopped`` (a wave failed beyond its budget), ``failed`` (a CI
    shard: a stack failed; its wave's gate job counts it), ``interrupted`` or ``nothing to do``."""

    state: str
    waves: list[WaveRun]
    seconds: float
    stopped_at: WaveRun | None = None
    notes: list[str] = field(default_factory=list)


class Rollout:
    """One rollout of a plan set: :meth:`prepare` (raises when it cannot start), then :meth:`run`."""

    def __init__(self, options: RolloutOptions, on_change: Callable[[Rollout], None] | None = None):
        self.options = options
        self.on_change = on_change or (lambda rollout: None)
        self.waves: list[WaveRun] = []
        self.site_waves: list[Wave] = []
        self.site: SiteConfig | None = None
        self.inputs: dict[str, StackInput] = {}
        self.bundle: Bundle | None = None
        self.journal: Journal | None = None
        self.terraform = Terraform(env=dict(options.env))
        self.stopping = threading.Event()
        self.interrupted = False
        self._index_lock = threading.Lock()
        self._stores: dict[str, Store | None] = {}

    # --- preparing ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Read the site, the manifests and the plans; check the plans as ``apply`` does and that they were
        reviewed with these waves. Raises RolloutError, PlanRefused, BundleError, InputError."""
        options = self.options
        inputs = load_inputs(options.manifests, options.config)
        site = self.site = inputs.site
        self.inputs = {stack.name: stack for stack in inputs.stacks}
        waves = site_waves(site.rollout, site.clusters)
        by_cluster = wave_by_cluster(waves)
        bundle = self.bundle = load_bundle(options.plan_dirs, with_plans=True)
        if not bundle.indexes:
            raise BundleError(
                f"no plan directory in {', '.join(str(p) for p in options.plan_dirs)} (run `fleetform plan` first)"
            )
        if any(index.kind == "drift" for _, index in bundle.indexes):
            raise PlanRefused(["a drift report (fleetform drift) holds no plans; nothing to roll out"])
        wanted_waves = set(options.waves) if options.waves else None
        wanted_stacks = set(options.stacks) if options.stacks else None
        if wanted_waves:
            unknown = sorted(wanted_waves - {w.number for w in waves})
            if unknown:
                raise RolloutError(f"no wave {', '.join(map(str, unknown))}: the waves are 1 to {len(waves)}")
        if wanted_stacks:
            missing = sorted(wanted_stacks - {s.name for s in bundle.stacks})
            if missing:
                raise PlanRefused([f"{name}: not in the plan directory" for name in missing])
        problems = []
        runs: dict[int, list[StackRun]] = {w.number: [] for w in waves}
        for stack in bundle.stacks:
            entry = stack.entry
            cluster = entry.cluster or "default"
            wave = by_cluster.get(cluster)
            if wave is None:
                problems.append(f"{stack.name}: cluster '{cluster}' is in no wave of fleetform.yaml")
                continue
            if site.rollout is not None and entry.wave is None:
                problems.append(
                    f"{stack.name}: planned without waves (before rollout: was in fleetform.yaml); plan again so "
                    "that the review shows each stack's wave"
                )
                continue
            if site.rollout is None and entry.wave is not None:
                problems.append(
                    f"{stack.name}: planned in wave {entry.wave} {entry.wave_name}, but fleetform.yaml has no "
                    "rollout: any more: the waves changed since the review; plan again and review"
                )
                continue
            if site.rollout is not None and (entry.wave, entry.wave_name) != (wave.number, wave.name):
                problems.append(
                    f"{stack.name}: planned in wave {entry.wave} {entry.wave_name}, now in wave {wave.label}: the "
                    "waves changed since the review; plan again and review"
                )
                continue
            if wanted_waves is not None and wave.number not in wanted_waves:
                continue
            if wanted_stacks is not None and stack.name not in wanted_stacks:
                continue
            run = StackRun(stack.name, cluster, wave, stack, application=entry.application)
            if entry.status == "planned" and not entry.changes:
                run.state = "unchanged"
            elif entry.applied:
                run.state = "applied-before"
            runs[wave.number].append(run)
        if problems:
            raise PlanRefused(problems)
        plans = sorted(f"{directory.name}:{index.created}" for directory, index in bundle.indexes)
        journal_dir = options.plan_dirs[0]
        self.journal = Journal.load(journal_dir / JOURNAL, plans)
        self.site_waves = waves
        self.waves = [WaveRun(w, runs[w.number]) for w in waves if runs[w.number]]
        todo = [s for w in self.waves for s in w.stacks if s.state not in ("unchanged", "applied-before")]
        if options.apply and todo:
            # Exactly apply's refusals, for every plan this rollout would apply, before anything is applied.
            _, checked = check_plans(options.plan_dirs, cwd=options.cwd, stacks=[s.name for s in todo])
            workdirs = {stack.name: workdir for stack, workdir in checked}
            for run in todo:
                run.workdir = workdirs.get(run.name)
                run.state = "queued" if run.workdir is not None else "unchanged"
        for wave_run in self.waves:
            for run in wave_run.stacks:
                if not options.apply and run.state == "queued":
                    run.state = "waiting"
                run.workdir = run.workdir or _workdir(run.plan, options.cwd)
                if run.state == "applied-before":
                    run.message = str(self.journal.stacks.get(run.name, {}).get("message") or "")
            if self.journal.waves.get(wave_run.wave.name) == "passed":
                wave_run.state = "passed before"

    # --- running -----------------------------------------------------------------------------------

    def run(self) -> Outcome:
        """Apply wave after wave until the last one passed, a wave fails beyond its budget, or a stop."""
        assert self.journal is not None
        started = time.perf_counter()
        journal = self.journal
        journal.runs += 1
        self._record_pending()
        self._changed()
        stopped_at: WaveRun | None = None
        for number, wave_run in enumerate(self.waves):
            if wave_run.state == "passed before":
                continue
            if self.stopping.is_set():
                self._not_started(self.waves[number:])
                break
            if self.options.apply:
                self._apply_wave(wave_run)
            if not self.options.apply:
                self._failures_from_records(wave_run)
            if self.stopping.is_set():
                wave_run.state = "interrupted"
                for run in wave_run.stacks:
                    if run.state == "queued":
                        run.state = "not started"
                self._changed()
                self._not_started(self.waves[number + 1 :])
                break
            if self.options.gate:
                self._gate(wave_run)
            if self.stopping.is_set() and any(r.state == "interrupted" for r in wave_run.stacks):
                wave_run.state = "interrupted"
                self._changed()
                self._not_started(self.waves[number + 1 :])
                break
            if self.options.stacks and not self.options.gate:
                # A CI shard: the wave's gate job counts the failures of every shard against the budget.
                wave_run.state = "applied" if not wave_run.failures else "applied with failures"
                journal.save()
                self._changed()
                continue
            if len(wave_run.failures) > wave_run.budget:
                wave_run.state = "stopped"
                journal.wave(wave_run.wave.name, "stopped")
                journal.save()
                self._changed()
                stopped_at = wave_run
                self._not_started(self.waves[number + 1 :])
                break
            wave_run.state = "passed"
            if self.options.gate and not self.options.stacks:
                journal.wave(wave_run.wave.name, "passed")
            journal.save()
            self._changed()
        seconds = time.perf_counter() - started
        if stopped_at is not None:
            state = "stopped"
        elif any(w.state == "applied with failures" for w in self.waves):
            state = "failed"
        elif any(w.state == "interrupted" for w in self.waves) or self.interrupted:
            state = "interrupted"
        elif not any(s.state not in ("unchanged",) for w in self.waves for s in w.stacks):
            state = "nothing to do"
        else:
            state = "completed"
        return Outcome(state, self.waves, seconds, stopped_at)

    def request_stop(self) -> None:
        """Start no new stack; the applies in progress finish (the first Ctrl-C)."""
        self.stopping.set()
        self._changed()

    def interrupt(self) -> int:
        """Tell every running Terraform to stop (the second Ctrl-C); how many were told."""
        self.stopping.set()
        self.interrupted = True
        return interrupt_running()

    # --- one wave ------------------------------------------------------------------------------------

    def _apply_wave(self, wave_run: WaveRun) -> None:
        queued = [run for run in wave_run.stacks if run.state == "queued"]
        if not queued:
            return
        wave_run.state = "applying"
        self._changed()
        by_cluster: dict[str, list[StackRun]] = {}
        for run in queued:
            by_cluster.setdefault(run.cluster, []).append(run)

        def cluster_worker(runs: list[StackRun]) -> None:
            for run in runs:
                if self.stopping.is_set():
                    run.state = "not started"
                    self._changed()
                    continue
                self._apply(run)

        with ThreadPoolExecutor(max_workers=max(1, wave_run.wave.max_parallel)) as pool:
            list(pool.map(cluster_worker, by_cluster.values()))

    def _apply(self, run: StackRun) -> None:
        assert run.workdir is not None and self.journal is not None
        started = time.perf_counter()
        run.state = "applying"
        self._changed()

        def progress(stack: str, phase: str) -> None:
            if phase in ("init", "apply"):
                run.message = phase
                self._changed()

        outcome = apply_one(
            run.plan,
            run.workdir,
            self.terraform,
            self.options.parallelism,
            self.options.lock_timeout,
            progress,
        )
        run.seconds = time.perf_counter() - started
        run.applied = outcome.summary
        if outcome.ok:
            run.state, run.message = "applied", outcome.summary
        elif self.interrupted:
            run.state, run.message = "interrupted", "interrupted: Terraform stopped and saved its state"
        else:
            run.state, run.message = "failed", outcome.summary
        with self._index_lock:
            for directory, index in self.bundle.indexes if self.bundle else []:
                if index is run.plan.index:
                    write_index(directory, index)
        self.journal.stack(run.name, run.state, run.message)
        self.journal.save()
        message = "" if outcome.ok else outcome.summary
        write_events(self._store(run), [applied_event(run.plan, outcome.ok, message)])
        self._changed()

    def _gate(self, wave_run: WaveRun) -> None:
        assert self.site is not None and self.journal is not None
        gated = [run for run in wave_run.stacks if run.state in ("applied", "applied-before")]
        if not gated:
            return
        wave_run.state = "gating"
        checks: dict[str, list[VmCheck]] = {}
        by_cluster: dict[str, list[str]] = {}
        for run in gated:
            stack_input = self.inputs.get(run.name)
            if stack_input is not None and run.plan.plan is not None:
                checks[run.name] = checks_for(stack_input, run.plan.plan)
            by_cluster.setdefault(run.cluster, []).append(run.name)
            run.state = "gating"
            run.message = _vms(len(checks.get(run.name, [])))
        self._changed()
        targets = {t.name: t for t in self.site.targets()}
        gate = Gate(targets, self.options.env, insecure=self.options.insecure)
        timeout = self.options.timeout if self.options.timeout is not None else wave_run.wave.timeout
        interval = self.options.interval if self.options.interval is not None else wave_run.wave.interval

        def poll(passed: int, total: int) -> None:
            wave_run.gate_note = f"{passed}/{total} VMs healthy"
            self._changed()

        results = gate.run(
            checks, by_cluster, timeout=timeout, interval=interval, stop=self.stopping, on_poll=poll
        )
        events = []
        for run in gated:
            result = results[run.name]
            if result.ok:
                run.state = "healthy"
                run.message = f"{_vms(len(checks.get(run.name, [])))} healthy"
                events.append(
                    (
                        run,
                        Event(
                            run.name,
                            run.cluster,
                            "applied",
                            application=run.application,
                            revision=run.plan.index.commit,
                            confirms=("failed", "unreachable"),
                        ),
                    )
                )
            elif self.stopping.is_set() and "interrupted" in result.message:
                run.state, run.message = "interrupted", result.message
                continue
            else:
                run.state = "unreachable" if result.unreachable else "unhealthy"
                run.message = f"health gate: {result.message}"
                events.append(
                    (
                        run,
                        Event(
                            run.name,
                            run.cluster,
                            "unreachable" if result.unreachable else "failed",
                            application=run.application,
                            revision=run.plan.index.commit,
                            wave=run.wave.number,
                            message=run.message,
                            plan=run.plan.index.created,
                        ),
                    )
                )
            self.journal.stack(run.name, run.state, run.message)
        self.journal.save()
        self._write(events)
        self._changed()

    def _failures_from_records(self, wave_run: WaveRun) -> None:
        """Gate-only (CI): which stacks of this wave the shard jobs applied, from the records of this plan set."""
        records: dict[str, Record] = {}
        read: set[str] = set()
        for run in wave_run.stacks:
            store = self._store(run)
            if store is not None and store.where not in read:
                read.add(store.where)
                try:
                    records.update(store.read())
                except FleetformError as exc:
                    raise RolloutError(f"cannot read the status records ({store.where}): {exc}") from None
        for run in wave_run.stacks:
            if run.state == "unchanged":
                continue
            record = records.get(run.name)
            if record is None or record.plan != run.plan.index.created or record.result == "pending":
                run.state, run.message = "failed", "not applied by the wave's jobs"
            elif record.result == "applied":
                run.state = "applied"
            else:
                run.state, run.message = "failed", record.message or record.result
        self._changed()

    # --- helpers -------------------------------------------------------------------------------------

    def _record_pending(self) -> None:
        """Mark every stack this run will apply as pending at its new revision (``fleetform status``)."""
        if not self.options.apply:
            return
        events = []
        for wave_run in self.waves:
            if wave_run.state == "passed before":
                continue
            for run in wave_run.stacks:
                if run.state == "queued":
                    event = Event(
                        run.name,
                        run.cluster,
                        "pending",
                        application=run.application,
                        revision=run.plan.index.commit,
                        wave=run.wave.number,
                        message=f"wave {run.wave.label}",
                        plan=run.plan.index.created,
                    )
                    events.append((run, event))
        self._write(events)

    def _write(self, events: Sequence[tuple[StackRun, Event]]) -> None:
        """Write events to the records of their stacks, one write per store."""
        groups: dict[str, tuple[Store | None, list[Event]]] = {}
        for run, event in events:
            store = self._store(run)
            groups.setdefault(store.where if store else "", (store, []))[1].append(event)
        for store, batch in groups.values():
            write_events(store, batch)

    def _store(self, run: StackRun) -> Store | None:
        if run.workdir is None:
            return None
        key = str(run.workdir)
        if key not in self._stores:
            self._stores[key] = store_for_workdir(run.workdir, self.options.env)
        return self._stores[key]

    def _not_started(self, waves: Sequence[WaveRun]) -> None:
        for wave_run in waves:
            if wave_run.state == "waiting":
                wave_run.state = "not started"
            for run in wave_run.stacks:
                if run.state == "queued":
                    run.state = "not started"
        self._changed()

    def _changed(self) -> None:
        self.on_change(self)


def _vms(count: int) -> str:
    return f"{count} VM{'' if count == 1 else 's'}"


def _workdir(stack: StackPlan, cwd: Path) -> Path | None:
    from fleetform.review.bundle import resolve_workdir

    try:
        return resolve_workdir(stack.index, stack.entry, cwd=cwd)
    except (OSError, ValueError):
        return None


def summary(outcome: Outcome) -> dict[str, Any]:
    """The rollout as plain data (``--format json``, schema ``fleetform-rollout/1``)."""
    return {
        "schema": "fleetform-rollout/1",
        "outcome": outcome.state,
        "seconds": round(outcome.seconds, 2),
        "stopped_at": outcome.stopped_at.wave.number if outcome.stopped_at else None,
        "waves": [
            {
                "number": w.wave.number,
                "name": w.wave.name,
                "state": w.state,
                "clusters": list(w.wave.clusters),
                "budget": w.budget,
                "failures": len(w.failures),
                "stacks": [
                    {
                        "name": s.name,
                        "application": s.application,
                        "cluster": s.cluster,
                        "state": s.state,
                        "message": s.message,
                        "seconds": round(s.seconds, 2),
                        "apply": s.applied,
                    }
                    for s in w.stacks
                ],
            }
            for w in outcome.waves
        ],
        "next": next_steps(outcome),
    }


def next_steps(outcome: Outcome) -> list[str]:
    """What to do now, in words."""
    if outcome.state == "stopped" and outcome.stopped_at is not None:
        wave = outcome.stopped_at
        return [
            f"wave {wave.wave.label} failed {len(wave.failures)} of {len(wave.changing)} stacks (failure budget "
            f"{wave.budget}); later waves were not touched",
            "fix the cause (the manifests, or the clusters), then `fleetform plan` and `fleetform rollout` again: "
            "stacks already applied plan no changes, so the rollout resumes at this wave and nothing is applied "
            "twice",
            "if the cluster was at fault and the plans still hold, `fleetform rollout` with the same plans retries "
            "the failed stacks (Terraform refuses a plan that went stale)",
        ]
    if outcome.state == "interrupted":
        return [
            "run `fleetform rollout` with the same plans to resume: applied stacks are skipped, never applied twice",
            "a stack interrupted in the middle of its apply holds a stale plan: `fleetform plan` again for it",
        ]
    if outcome.state == "completed":
        return ["`fleetform status` shows every stack at its new revision"]
    return []
