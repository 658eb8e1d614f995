"""Deploying and destroying synthesized stacks with Terraform, stack by stack.

``cdktf deploy`` does the same; this path needs no Node and applies with the settings the HyperCore provider
asks for (``-parallelism=1`` by default: HyperCore runs one task at a time per cluster). Stacks run one after
another unless ``concurrency`` allows more; a failed stack does not stop the others, and every failure is
reported at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fleetform.errors import FleetformError, ToolError
from fleetform.terraform import Terraform


@dataclass(frozen=True)
class StackOutcome:
    """How one stack's deploy or destroy ended."""

    stack: str
    ok: bool
    summary: str
    """Terraform's closing line ("Apply complete! Resources: 2 added, ..."), or the error."""


def run_stacks(
    stack_dirs: Sequence[Path],
    terraform: Terraform,
    *,
    destroy: bool = False,
    parallelism: int = 1,
    concurrency: int = 1,
    on_done: Callable[[StackOutcome], None] | None = None,
) -> list[StackOutcome]:
    """``terraform init`` then ``apply`` (or ``destroy``) in each stack directory; the outcomes, in order."""

    def one(stack_dir: Path) -> StackOutcome:
        try:
            terraform.init(stack_dir)
            if destroy:
                result = terraform.destroy(stack_dir, parallelism=parallelism)
            else:
                result = terraform.apply(stack_dir, parallelism=parallelism)
        except FleetformError as exc:
            outcome = StackOutcome(stack_dir.name, False, str(exc))
        else:
            outcome = StackOutcome(stack_dir.name, True, _closing_line(result.stdout))
        if on_done is not None:
            on_done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, stack_dirs))


def _closing_line(output: str) -> str:
    for line in reversed(output.splitlines()):
        if line.startswith(("Apply complete!", "Destroy complete!", "No changes.")):
            return line.strip()
    return "done"


def stack_dirs(outdir: Path, names: Sequence[str] | None = None) -> list[Path]:
    """The synthesized stacks under ``outdir`` (all, or those ``names``); ToolError for an unknown name."""
    root = outdir / "stacks"
    present = sorted(p for p in root.iterdir() if (p / "cdk.tf.json").is_file()) if root.is_dir() else []
    if not names:
        return present
    by_name = {p.name: p for p in present}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ToolError(
            f"no synthesized stack named {', '.join(unknown)}; stacks: {', '.join(by_name) or 'none'}"
        )
    return [by_name[n] for n in names]
