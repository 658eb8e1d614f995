"""``fleetform apply``: apply exactly the plans ``fleetform plan`` saved (no new plan), or refuse."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetform.errors import FleetformError
from fleetform.review.bundle import (
    CONFIG_DIR,
    Bundle,
    BundleError,
    StackPlan,
    load_bundle,
    resolve_workdir,
    write_index,
)
from fleetform.terraform.plans.common import STACK_FILE, Progress, config_hash, now, split_names
from fleetform.terraform.plans.failures import Context, explain
from fleetform.terraform.plans.workdirs import settle
from fleetform.terraform.runner import Terraform, error_text

_STALE = "Saved plan is stale"


class PlanRefused(FleetformError):
    """``fleetform apply`` will not apply these plans; ``problems`` says why, one line per stack."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("nothing was applied:\n" + "\n".join(f"  - {p}" for p in self.problems))


# --- applying ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyOutcome:
    """How one stack's apply ended."""

    stack: str
    ok: bool
    summary: str
    stale: bool = False


def check_plans(
    paths: Sequence[Path], *, cwd: Path | None = None, stacks: Sequence[str] | None = None
) -> tuple[Bundle, list[tuple[StackPlan, Path]]]:
    """The saved plans under ``paths`` (or ``stacks`` of them) that ``apply`` would apply, with their working
    directories; raises PlanRefused when any selected plan cannot be applied as reviewed (refused, failed,
    applied already, missing, or its Terraform JSON changed since). Plans without changes are left out."""
    here = cwd or Path.cwd()
    bundle = load_bundle(paths, with_plans=False)
    if not bundle.indexes:
        raise BundleError(
            f"no plan directory in {', '.join(str(p) for p in paths)} (run `fleetform plan` first)"
        )
    reports = [str(directory) for directory, index in bundle.indexes if index.kind == "drift"]
    if reports:
        raise PlanRefused(
            [f"{d}: a drift report (fleetform drift), not plans; nothing to apply" for d in reports]
        )
    wanted = set(split_names(stacks)) if stacks else None
    if wanted:
        unknown = sorted(wanted - {s.name for s in bundle.stacks})
        if unknown:
            raise PlanRefused([f"{name}: not in the plan directory" for name in unknown])
    problems: list[str] = []
    todo = []
    for stack in bundle.stacks:
        if wanted is not None and stack.name not in wanted:
            continue
        entry = stack.entry
        if entry.status != "planned":
            problems.append(f"{stack.name}: the plan was {entry.status}: {entry.message or 'see the review'}")
            continue
        if entry.applied:
            problems.append(f"{stack.name}: this plan was applied already ({entry.applied}); plan again")
            continue
        if not entry.changes:
            continue
        if not stack.plan_file.is_file():
            problems.append(f"{stack.name}: {stack.plan_file} is missing")
            continue
        workdir = resolve_workdir(stack.index, entry, cwd=here)
        if entry.orphan and not (workdir / STACK_FILE).is_file():
            _restore_config(stack.directory / CONFIG_DIR, workdir)
        if not (workdir / STACK_FILE).is_file():
            problems.append(
                f"{stack.name}: no Terraform JSON in {workdir}: run `fleetform synth` first, from the same commit "
                f"and with the same flags as the plan{' (--allow-data-loss)' if entry.allow_data_loss else ''}"
            )
        elif config_hash(workdir) != entry.config_hash:
            problems.append(
                f"{stack.name}: stale: the Terraform JSON in {workdir} is not the one that was planned (synthesized "
                "again since, from other manifests or flags); plan again and review"
            )
        else:
            todo.append((stack, workdir))
    if problems:
        raise PlanRefused(problems)
    return bundle, todo


def apply_plans(
    paths: Sequence[Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stacks: Sequence[str] | None = None,
    parallel: int = 1,
    parallelism: int = 1,
    lock_timeout: str | None = None,
    on_progress: Progress | None = None,
) -> list[ApplyOutcome]:
    """Apply the saved plans under ``paths`` exactly (``terraform apply <tfplan>``, no new plan). Raises
    PlanRefused, before applying anything, when any selected plan cannot be applied as reviewed."""
    progress = on_progress or (lambda stack, phase: None)
    bundle, todo = check_plans(paths, cwd=cwd, stacks=stacks)

    terraform = Terraform(env=dict(env if env is not None else os.environ))
    groups: dict[str, list[Any]] = {}
    for stack, workdir in todo:
        groups.setdefault(stack.entry.cluster or "default", []).append((stack, workdir))

    def run_group(items: list[Any]) -> list[ApplyOutcome]:
        outcomes = []
        for stack, workdir in items:
            outcomes.append(apply_one(stack, workdir, terraform, parallelism, lock_timeout, progress))
        return outcomes

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        results = [o for group in pool.map(run_group, groups.values()) for o in group]
    for directory, index in bundle.indexes:
        write_index(directory, index)
    from fleetform.terraform.rollout.hooks import record_applies

    record_applies(todo, results, terraform.env)
    order = {s.name: n for n, s in enumerate(bundle.stacks)}
    return sorted(results, key=lambda o: order[o.stack])


def apply_one(
    stack: StackPlan,
    workdir: Path,
    terraform: Terraform,
    parallelism: int,
    lock_timeout: str | None,
    progress: Progress,
) -> ApplyOutcome:
    try:
        progress(stack.name, "init")
        terraform.init(workdir)
        progress(stack.name, "apply")
        args = ["apply", "-input=false", "-no-color", f"-parallelism={parallelism}"]
        if lock_timeout:
            args.append(f"-lock-timeout={lock_timeout}")
        result = terraform.run(workdir, [*args, str(stack.plan_file.resolve())], ok_codes=(0, 1))
    except FleetformError as exc:
        progress(stack.name, "failed")
        return ApplyOutcome(stack.name, False, str(exc))
    output = result.stdout + result.stderr
    if result.code != 0:
        if _STALE in output:
            progress(stack.name, "stale")
            return ApplyOutcome(
                stack.name,
                False,
                "refused: the saved plan is stale: the state changed after the plan was made (another apply?). "
                "Nothing was changed; plan again and review.",
                stale=True,
            )
        progress(stack.name, "failed")
        entry = stack.entry
        host = terraform.env.get("HC_HOST") if (entry.cluster or "default") == "default" else None
        words = explain(output, Context(stack.name, entry.cluster or "default", host, "apply"))
        return ApplyOutcome(stack.name, False, words or f"terraform apply failed:\n{error_text(output)}")
    stack.entry.applied = now()
    if not stack.entry.orphan and stack.entry.config_hash:
        settle(workdir, stack.entry.config_hash)
    progress(stack.name, "done")
    closing = next(
        (line.strip() for line in reversed(result.stdout.splitlines()) if line.startswith("Apply complete!")),
        "applied",
    )
    return ApplyOutcome(stack.name, True, closing)


def _restore_config(config_dir: Path, workdir: Path) -> None:
    if not config_dir.is_dir():
        return
    workdir.mkdir(parents=True, exist_ok=True)
    for item in config_dir.glob("*.tf.json"):
        shutil.copy2(item, workdir / item.name)


# What `terraform show -no-color` prints for a saved plan without changes (Terraform 1.x).
