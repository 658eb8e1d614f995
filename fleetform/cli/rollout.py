"""``fleetform rollout``: apply saved, reviewed plans wave by wave, with a health gate after each wave.

Exit codes: 0 every wave passed (or nothing to do); 1 refused (nothing applied), an error, or a wave failed
beyond its failure budget (the rollout stopped there); 130 interrupted (Ctrl-C: re-run to resume).
"""

from __future__ import annotations

import enum
import json
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from fleetform.cli._app import ConfigOption, ManifestsOption, app, err, fail, out
from fleetform.errors import FleetformError

STYLE = {
    "healthy": "green",
    "applied": "green",
    "applied-before": "green",
    "passed": "green",
    "passed before": "green",
    "failed": "red",
    "unhealthy": "red",
    "unreachable": "red",
    "stopped": "red",
    "applied with failures": "red",
    "interrupted": "yellow",
    "not started": "dim",
    "waiting": "dim",
    "unchanged": "dim",
    "applying": "cyan",
    "gating": "cyan",
    "queued": "cyan",
}
ACTIVE = ("applying", "gating")


class RolloutFormat(enum.StrEnum):
    table = "table"
    json = "json"


def _names(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@app.command()
def rollout(
    plan_dir: Annotated[
        Path,
        typer.Argument(help="The plan directory fleetform plan wrote (or a directory holding several)."),
    ] = Path("plans"),
    manifests: ManifestsOption = None,
    config: ConfigOption = None,
    wave: Annotated[
        list[int] | None, typer.Option("--wave", "-w", help="Only this wave (1-based; repeatable). For CI.")
    ] = None,
    stacks: Annotated[
        list[str] | None,
        typer.Option(
            "--stacks", "-s", help="Only these stacks (comma-separated and/or repeated). For CI shards."
        ),
    ] = None,
    gate: Annotated[
        bool,
        typer.Option("--gate/--no-gate", help="Run the health gate after each wave (--no-gate: CI shards)."),
    ] = True,
    gate_only: Annotated[
        bool,
        typer.Option(
            "--gate-only",
            help="Apply nothing: count the wave's failures from the status records and run its gate (CI).",
        ),
    ] = False,
    gate_timeout: Annotated[
        str | None, typer.Option("--gate-timeout", help="Override every wave's gate timeout (30s, 5m).")
    ] = None,
    parallelism: Annotated[
        int,
        typer.Option(
            "--parallelism", help="Terraform -parallelism. The HyperCore provider supports only 1.", min=1
        ),
    ] = 1,
    lock_timeout: Annotated[
        str | None, typer.Option("--lock-timeout", help="Wait this long for a held state lock (e.g. 5m).")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Accept self-signed TLS certificates of the clusters (gate).")
    ] = False,
    fmt: Annotated[
        RolloutFormat, typer.Option("--format", "-f", help="table (live progress), or json for machines.")
    ] = RolloutFormat.table,
    list_waves: Annotated[
        bool,
        typer.Option(
            "--list",
            help="Apply nothing: print the waves as JSON for a CI job matrix (each wave's stacks to apply in at "
            "most --max-jobs comma-separated groups).",
        ),
    ] = False,
    max_jobs: Annotated[int, typer.Option("--max-jobs", help="Groups per wave with --list.", min=1)] = 8,
) -> None:
    """Apply the reviewed plans wave by wave, a health gate after each; stop at a wave beyond its budget.

    Never plans (refuses stale plans as `fleetform apply` does). Ctrl-C: the applies in progress finish.
    """
    from fleetform.site.waves import seconds
    from fleetform.terraform.plans import PlanRefused
    from fleetform.terraform.rollout.run import Rollout, RolloutOptions, next_steps, summary

    try:
        timeout = seconds(gate_timeout) if gate_timeout else None
    except ValueError:
        err.print(f"error: --gate-timeout {gate_timeout!r} is not a duration (30s, 5m, 1h)", style="red")
        raise typer.Exit(1) from None
    options = RolloutOptions(
        plan_dirs=[plan_dir],
        manifests=manifests or [Path("manifests")],
        config=config,
        waves=wave or None,
        stacks=_names(stacks) or None,
        apply=not gate_only,
        gate=gate,
        parallelism=parallelism,
        lock_timeout=lock_timeout,
        insecure=insecure,
        timeout=timeout,
    )
    live_view = fmt is RolloutFormat.table and err.is_terminal
    view = _View(plan_dir, live_view, log_lines=fmt is RolloutFormat.table and not err.is_terminal)
    runner = Rollout(options, on_change=view.changed)
    try:
        runner.prepare()
    except PlanRefused as exc:
        err.print("refused: nothing was applied", style="red")
        for problem in exc.problems:
            err.print(f"  {problem}", style="red", markup=False)
        raise typer.Exit(1) from None
    except FleetformError as exc:
        raise fail(exc) from None
    if list_waves:
        typer.echo(json.dumps(wave_matrix(runner, max_jobs)))
        return

    presses = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses == 1 and signum == signal.SIGINT:
            runner.request_stop()
            view.note(
                "stopping: the applies in progress finish, no new stack starts (Ctrl-C again to interrupt them)"
            )
        else:
            told = runner.interrupt()
            view.note(
                f"interrupting {told} Terraform run{'s' if told != 1 else ''}: each saves its state and stops"
            )

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            handlers[signum] = signal.signal(signum, on_signal)
    try:
        with view:
            result = runner.run()
    except FleetformError as exc:
        raise fail(exc) from None
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if fmt is RolloutFormat.json:
        typer.echo(json.dumps(summary(result), indent=2))
    elif not live_view:
        out.print(render(runner, everything=True))
    words = {
        "completed": ("green", f"rollout completed in {result.seconds:.1f} s"),
        "nothing to do": ("green", "nothing to roll out: no saved plan has changes left"),
        "stopped": ("red", "rollout stopped"),
        "failed": ("red", "applied with failures (the wave's gate job counts them against its budget)"),
        "interrupted": ("yellow", f"rollout interrupted after {result.seconds:.1f} s"),
    }
    style, text = words[result.state]
    err.print(text, style=style)
    for line in next_steps(result):
        err.print(f"  {line}", markup=False, highlight=False)
    if result.state in ("stopped", "failed"):
        failures = [r for w in result.waves for r in w.failures]
        for run in failures:
            err.print(f"  ✘ {run.name}: {run.message}", style="red", markup=False, highlight=False)
        raise typer.Exit(1)
    if result.state == "interrupted":
        raise typer.Exit(130)


def wave_matrix(runner: object, max_jobs: int) -> dict[str, object]:
    """``--list``: every wave of the site by number, its name, whether CI asks for an approval before it, and
    its stacks to apply in at most ``max_jobs`` groups (``[]``: nothing to apply in that wave)."""
    from fleetform.terraform.plans import shards
    from fleetform.terraform.rollout.run import Rollout

    assert isinstance(runner, Rollout)
    runs = {wave_run.wave.number: wave_run for wave_run in runner.waves}
    waves = {}
    for wave in runner.site_waves:
        wave_run = runs.get(wave.number)
        todo = [run.name for run in wave_run.stacks if run.state == "queued"] if wave_run else []
        waves[str(wave.number)] = {
            "name": wave.name,
            "approval": wave.approval,
            "stacks": len(todo),
            "shards": shards(todo, max_jobs),
        }
    return {"count": len(runner.site_waves), "waves": waves}


class _View:
    """The progress: a Rich live table on a terminal, one line per change otherwise (CI logs)."""

    def __init__(self, plan_dir: Path, live: bool, *, log_lines: bool):
        self.plan_dir = plan_dir
        self.rollout: object | None = None
        self.live = Live(console=err, refresh_per_second=4, transient=False) if live else None
        self.log_lines = log_lines
        self.notes: list[str] = []
        self.seen: dict[str, str] = {}
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def __enter__(self) -> _View:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            if self.rollout is not None:
                self.live.update(render(self.rollout, everything=True, notes=self.notes))
            self.live.__exit__(None, None, None)

    def note(self, text: str) -> None:
        self.notes.append(text)
        if self.live is None:
            err.print(text, style="yellow", markup=False)
        elif self.rollout is not None:
            self.live.update(render(self.rollout, notes=self.notes))

    def changed(self, rollout: object) -> None:
        self.rollout = rollout
        if self.live is not None:
            self.live.update(render(rollout, notes=self.notes))
            return
        if not self.log_lines:
            return
        from fleetform.terraform.rollout.run import Rollout

        assert isinstance(rollout, Rollout)
        with self._lock:
            for wave_run in rollout.waves:
                key = f"wave:{wave_run.wave.number}"
                if self.seen.get(key) != wave_run.state and wave_run.state not in ("waiting",):
                    self.seen[key] = wave_run.state
                    err.print(f"{self._clock()} wave {wave_run.wave.label}: {wave_run.state}", markup=False)
                for run in wave_run.stacks:
                    if (
                        run.state in ("waiting", "unchanged", "queued")
                        or self.seen.get(run.name) == run.state
                    ):
                        continue
                    self.seen[run.name] = run.state
                    note = f" ({run.message})" if run.message and run.state not in ACTIVE else ""
                    err.print(
                        f"{self._clock()}   {run.name}: {run.state}{note}", markup=False, highlight=False
                    )

    def _clock(self) -> str:
        return f"[{time.monotonic() - self.started:7.1f}s]"


def render(rollout: object, *, everything: bool = False, notes: list[str] | None = None) -> Table:
    """The progress table: wave, stack, state. Waves that are done or not started fold into one row each
    (unless ``everything``); the active wave and every failed stack show stack by stack."""
    from fleetform.terraform.rollout.run import Rollout

    assert isinstance(rollout, Rollout)
    stacks = sum(len(w.stacks) for w in rollout.waves)
    title = f"rollout: {_count(len(rollout.waves), 'wave')}, {_count(stacks, 'stack')}"
    if rollout.stopping.is_set():
        title += " (stopping)"
    table = Table(title=title, title_justify="left", expand=False)
    for column in ("wave", "stack", "state", "note"):
        table.add_column(column, overflow="fold")
    for wave_run in rollout.waves:
        label = f"{wave_run.wave.label}"
        wave_state = wave_run.state + (
            f" · {wave_run.gate_note}" if wave_run.gate_note and wave_run.state == "gating" else ""
        )
        folded = not everything and wave_run.state not in ("applying", "gating", "stopped", "interrupted")
        shown = wave_run.stacks if not folded else [s for s in wave_run.stacks if s.failed]
        counts: dict[str, int] = {}
        for run in wave_run.stacks:
            if run not in shown:
                counts[run.state] = counts.get(run.state, 0) + 1
        budget = f"budget {len(wave_run.failures)}/{wave_run.budget}"
        table.add_row(
            Text(label, style="bold"),
            Text(
                f"{_count(len(wave_run.stacks), 'stack')} on {_count(len(wave_run.wave.clusters), 'cluster')}",
                style="dim",
            ),
            Text(wave_state, style=STYLE.get(wave_run.state, "")),
            Text(budget, style="red" if len(wave_run.failures) > wave_run.budget else "dim"),
        )
        for run in shown:
            table.add_row(
                "", run.name, Text(run.state, style=STYLE.get(run.state, "")), Text(run.message or "")
            )
        if counts:
            text = ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))
            table.add_row("", Text(text, style="dim"), "", "")
    for note in notes or []:
        table.add_row("", Text(note, style="yellow"), "", "")
    return table


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
