"""What the commands that run Terraform share: their options, the simulator mode, the summary, the question.

- **Mode.** ``--simulator`` starts (or finds) the embedded simulator, installs the stand-in and works in the
  simulator mode's own synth directory (``.fleetform/cdktf.out``) and state (``.fleetform/demo/state``);
  without it, the project's ``cdktf.out`` and the site's state, and Terraform gets the registry provider.
- **Summary.** Before ``deploy`` or ``destroy`` changes anything, the review's summary: dangers first, what
  needs attention, then per stack its counts and what happens to each VM.
- **Question.** Like ``cdktf deploy``: ``--auto-approve`` skips it; without a terminal to ask on and without
  ``--auto-approve``, nothing is changed and the command says so.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from fleetform.cli._app import err, out
from fleetform.review.model import Review, StackReview, VmView

StacksOption = Annotated[
    list[str] | None,
    typer.Option(
        "--stacks",
        "-s",
        help="Only these stacks (comma-separated and/or repeated); nothing else is planned or changed. "
        "\\[default: every stack of the manifests, plus the stacks of deleted manifests]",
    ),
]
ParallelOption = Annotated[int, typer.Option("--parallel", "-j", help="Stacks run at the same time.", min=1)]
ParallelismOption = Annotated[
    int,
    typer.Option(
        "--parallelism", help="Terraform -parallelism. The HyperCore provider supports only 1.", min=1
    ),
]
SimulatorOption = Annotated[
    bool,
    typer.Option(
        "--simulator",
        help="Work against the embedded HyperCore simulator (started if needed) with the stand-in provider, in "
        "its own synth directory and state (.fleetform/).",
    ),
]
SynthDirOption = Annotated[
    Path | None,
    typer.Option(
        "--synth-dir",
        help="Synth output directory; Terraform works in its stack directories. "
        "\\[default: cdktf.out; .fleetform/cdktf.out with --simulator]",
    ),
]
AutoApproveOption = Annotated[
    bool, typer.Option("--auto-approve", help="Do not ask before changing anything (for scripts and CI).")
]
InsecureOption = Annotated[
    bool, typer.Option("--insecure", help="Accept self-signed TLS certificates of the clusters.")
]
LockTimeoutOption = Annotated[
    str | None,
    typer.Option(
        "--lock-timeout", help="Wait this long for a held state lock (Terraform -lock-timeout, e.g. 5m)."
    ),
]

DEFAULT_SYNTH_DIR = Path("cdktf.out")


@dataclass(frozen=True)
class Mode:
    """Where a command works: its environment for Terraform, site configuration and synth directory."""

    env: dict[str, str]
    config: Path | None
    synth_dir: Path
    simulator: bool = False


def resolve_mode(simulator: bool, manifests: list[Path], config: Path | None, synth_dir: Path | None) -> Mode:
    """The simulator mode (simulator started, stand-in installed, demo site written) or the real-cluster one.
    Raises FleetformError when the simulator cannot be started."""
    env = dict(os.environ)
    if not simulator:
        return Mode(env, config, synth_dir or DEFAULT_SYNTH_DIR)
    from fleetform.terraform.embedded import Paths, prepare

    running, extra = prepare(Path.cwd(), manifests, config)
    err.print(f"simulator: {running.url} (user {running.username})", highlight=False)
    env.update(extra)
    return Mode(env, Path(extra["FLEETFORM_CONFIG"]), synth_dir or Paths(Path.cwd()).synth_dir, True)


# --- the summary ----------------------------------------------------------------------------------------------

_SIGNS = {"create": "+", "delete": "-", "replace": "-/+", "update": "~", "import": "<="}


def _plain(text: str) -> str:
    """Markdown emphasis and code marks out of a review message, for a terminal."""
    return re.sub(r"\*\*|`", "", text)


CHANGE_KEYS = ("add", "change", "replace", "destroy", "import", "move")


def resource_changes(counts: dict[str, int]) -> bool:
    """Whether counts (a stack's, or the review's totals) change any resource (not only outputs)."""
    return any(counts.get(key) for key in CHANGE_KEYS)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 VM``, ``2 VMs``, ``1 stack``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def print_summary(review: Review) -> None:
    """The review's summary on stdout: dangers first, then attention, then each stack with changes."""
    # A failed or refused stack is reported once, by the caller (print_problems), not as a danger here.
    dangers = [d for d in review.dangers if d.kind not in ("stack-failed", "stack-refused")]
    if dangers:
        out.print(f"[bold red]Dangerous ({len(dangers)}):[/]", highlight=False)
        for danger in dangers:
            out.print(Text.assemble(("  ! ", "red"), _plain(danger.message)), highlight=False)
    if review.attention:
        out.print(f"[yellow]Needs attention ({len(review.attention)}):[/]", highlight=False)
        for item in review.attention:
            hint = f" ({_plain(item.hint)})" if item.hint else ""
            out.print(Text.assemble(("  ~ ", "yellow"), _plain(item.message) + hint), highlight=False)
    for stack in review.stacks:
        if resource_changes(stack.counts) or stack.status == "refused":
            _print_stack(stack)
    if not any(stack.status == "planned" for stack in review.stacks):
        return
    totals = review.totals
    parts = [
        f"{totals[key]} to {verb}"
        for key, verb in (
            ("add", "add"),
            ("change", "change"),
            ("replace", "replace"),
            ("destroy", "destroy"),
        )
    ]
    out.print("Plan: " + ", ".join(parts) + ".", highlight=False)


def _print_stack(stack: StackReview) -> None:
    where = f" (manifest deleted: {stack.manifest})" if stack.orphan and stack.manifest else ""
    out.print(Text.assemble((stack.name, "bold"), f"{where}: {stack.summary}"), highlight=False)
    for vm in stack.vms:
        out.print(f"  {_vm_line(vm)}", highlight=False, markup=False)
    for change in stack.others:
        sign = _SIGNS.get(change.action, "~")
        why = f" ({change.reason})" if change.reason and change.action != "delete" else ""
        out.print(f"  {sign} {change.subject}: {change.action}{why}", highlight=False, markup=False)


def _vm_line(vm: VmView) -> str:
    sign = _SIGNS.get(vm.action, "~")
    details: list[str] = []

    def add(text: str) -> None:
        if text and text not in details:
            details.append(text)

    whole = vm.action in ("create", "delete")
    for change in vm.changes:
        if change.reason and change.action != "delete":
            add(change.reason)
        if change.action in ("update", "replace"):
            for attribute in change.attributes:
                if attribute.before or attribute.after:
                    add(f"{attribute.label} {attribute.before} → {attribute.after}".strip())
        elif not whole and change.action in ("create", "delete") and not change.subject.startswith("VM "):
            add(f"{change.subject} {'added' if change.action == 'create' else 'removed'}")
    word = {"create": "create", "delete": "destroy", "replace": "replace", "import": "import"}.get(
        vm.action, "update"
    )
    return f"{sign} VM {vm.name}: {word}" + (f" ({'; '.join(details)})" if details else "")


def report_repairs(entries: Any) -> None:
    """What fleetform repaired before planning: objects deleted outside fleetform, taken out of state."""
    for name, entry in entries.items():
        if entry.deleted_outside:
            err.print(
                f"{name}: {plural(len(entry.deleted_outside), 'object')} deleted outside fleetform "
                f"({', '.join(entry.deleted_outside)}) taken out of its state and planned to be created again; "
                f"the state before is kept in {entry.state_backup}",
                style="yellow",
                highlight=False,
            )


def print_problems(entries: Any, names: list[str]) -> None:
    """The refused and failed stacks, each message once (a cluster-wide failure names its stacks together)."""
    by_message: dict[str, list[str]] = {}
    for name in names:
        by_message.setdefault(entries[name].message, []).append(name)
    for message, stacks in by_message.items():
        err.print(f"{', '.join(stacks)}: {message}", style="red", markup=False, highlight=False)


# --- the question ---------------------------------------------------------------------------------------------


def confirm(command: str, question: str, auto_approve: bool) -> None:
    """Ask ``question`` before ``command`` changes anything, like ``cdktf deploy``; raises typer.Exit(1) when not
    approved. ``--auto-approve`` skips the question; without a terminal, nothing is changed."""
    if auto_approve:
        return
    if not sys.stdin.isatty():
        err.print(
            f"refused: {command} asks before it changes anything, and there is no terminal to ask on: nothing was "
            "changed. Review the summary above, then run again with --auto-approve (or use fleetform plan, review "
            "and apply).",
            style="red",
            highlight=False,
        )
        raise typer.Exit(1)
    if not typer.confirm(question, default=False, err=True):
        err.print(f"{command} cancelled: nothing was changed", style="yellow")
        raise typer.Exit(1)
