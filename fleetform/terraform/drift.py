"""Drift: what changed on the clusters outside fleetform, found by refresh-only plans of every stack.

For each stack with state, fleetform first asks the cluster which of the stack's objects still exist: the
provider's refresh of an object deleted out of band fails with a raw HTTP 404 (it never removes anything from
state), so such objects are reported as *deleted outside fleetform* and left out of the refresh. Everything else
goes through ``terraform plan -refresh-only``, whose ``resource_drift`` says what changed (a VM's memory edited
in the UI, a power state changed, tags...). The result is written as a plan directory (``DIR/manifest.json``
with ``"kind": "drift"``, ``DIR/<stack>/plan.json``) so that the review renders it in the same format; drift
directories hold no saved plans and ``fleetform apply`` refuses them.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform import __version__
from fleetform.errors import ApiError, FleetformError
from fleetform.review.bundle import PLAN_JSON, PlanIndex, StackEntry, write_index
from fleetform.review.hypercore import DELETED_OUTSIDE
from fleetform.synth.inputs import StackInput, load_inputs
from fleetform.synth.origins import whole_set
from fleetform.terraform.connect import client_for, terraform_environment
from fleetform.terraform.drift_exclusions import (
    ignored_attributes,
    system_drives,
    without_ignored_drift,
    without_system_drive_drift,
)
from fleetform.terraform.outofband import missing
from fleetform.terraform.plans.failures import explain, explain_api, failure_context
from fleetform.terraform.plans.redact import redact_plan
from fleetform.terraform.plans.workdirs import init_workdir
from fleetform.terraform.runner import Terraform

Progress = Callable[[str, str], None]


@dataclass
class DriftOptions:
    """What ``fleetform drift`` was asked to do."""

    manifests: Sequence[Path]
    config: Path | None = None
    out: Path = Path("drift")
    synth_dir: Path = Path("cdktf.out")
    stacks: Sequence[str] | None = None
    synth: bool = True
    parallel: int = 4
    insecure: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass
class StackDrift:
    """What one stack's check found."""

    stack: str
    deleted: list[str] = field(default_factory=list)
    """Addresses whose objects are gone from the cluster."""
    changed: list[str] = field(default_factory=list)
    """Addresses whose attributes changed outside fleetform."""
    error: str = ""
    undeployed: bool = False

    @property
    def drifted(self) -> bool:
        return bool(self.deleted or self.changed)


@dataclass
class DriftRun:
    """Every stack's drift, and where the report's plan directory is."""

    out: Path
    stacks: list[StackDrift]
    seconds: float = 0.0

    @property
    def drifted(self) -> bool:
        return any(s.drifted for s in self.stacks)

    @property
    def failed(self) -> list[str]:
        return [s.stack for s in self.stacks if s.error]


def detect_drift(options: DriftOptions, *, on_progress: Progress | None = None) -> DriftRun:
    """Check every stack (or ``options.stacks``) and write the drift directory. Raises InputError for bad
    manifests; a stack whose check fails is recorded (``error``), not raised."""
    started = time.perf_counter()
    progress = on_progress or (lambda stack, phase: None)
    inputs = load_inputs(options.manifests, options.config)
    if options.synth:
        from fleetform.synth.synthesize import synthesize

        synthesize(
            options.manifests,
            config_path=options.config,
            outdir=options.synth_dir,
            prune=whole_set(options.manifests),
        )
    wanted = set(options.stacks) if options.stacks else None
    stacks = [s for s in inputs.stacks if wanted is None or s.name in wanted]
    if wanted:
        unknown = sorted(wanted - {s.name for s in inputs.stacks})
        if unknown:
            raise FleetformError(f"no stack named {', '.join(unknown)}")
    out = options.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(mode=0o700, parents=True)
    terraform = Terraform(env=terraform_environment([s.target for s in stacks], options.env))
    index = PlanIndex(
        kind="drift",
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        fleetform_version=__version__,
        project=str(Path.cwd()),
    )
    lock = threading.Lock()

    def one(stack: StackInput) -> StackDrift:
        entry, found = _check(stack, options, terraform, out / stack.name, progress)
        with lock:
            index.stacks[stack.name] = entry
        return found

    with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
        found = list(pool.map(one, stacks))
    index.stacks = dict(sorted(index.stacks.items()))
    write_index(out, index)
    from fleetform.terraform.rollout.hooks import record_drift

    site = inputs.site
    record_drift(
        site.state.backend, site.state_dir, found, {s.name: s.target.name for s in stacks}, options.env
    )
    return DriftRun(out=out, stacks=found, seconds=time.perf_counter() - started)


def _check(
    stack: StackInput, options: DriftOptions, terraform: Terraform, target: Path, progress: Progress
) -> tuple[StackEntry, StackDrift]:
    workdir = options.synth_dir.resolve() / "stacks" / stack.name
    target.mkdir(parents=True)
    entry = StackEntry(
        status="planned",
        workdir=str(workdir),
        application=stack.manifest.name,
        cluster=stack.target.name,
        manifest=stack.manifest.path,
        backend=stack.site.state.backend,
        networks=dict(stack.site.networks),
    )
    drift = StackDrift(stack.name)
    try:
        progress(stack.name, "init")
        init_workdir(terraform, workdir, None, reuse=True)
        state = terraform.show_json(workdir)
        resources = _managed(state)
        if not resources:
            drift.undeployed = True
            entry.message = "not deployed: nothing to compare"
            progress(stack.name, "not deployed")
            return entry, drift
        progress(stack.name, "cluster")
        with client_for(stack.target, insecure=options.insecure, environ=options.env) as client:
            gone = missing(client, resources)
            drives = system_drives(client)
        progress(stack.name, "refresh")
        present = refreshable(resources, gone)
        plan: dict[str, Any] = {}
        if present:
            plan_file = target / "refresh.tfplan"
            args = ["-refresh-only", "-lock=false"] + ([f"-target={a}" for a in present] if gone else [])
            terraform.plan(workdir, out=plan_file, extra=args)
            plan = terraform.show_json(workdir, plan_file)
            plan_file.unlink(missing_ok=True)
            plan = without_system_drive_drift(plan, drives)
            plan = without_ignored_drift(plan, ignored_attributes(workdir))
    except (FleetformError, ApiError) as exc:
        entry.status = "failed"
        context = failure_context(stack.name, stack.site, terraform.env, "plan")
        if isinstance(exc, ApiError):
            entry.message = explain_api(exc, context, "checking which objects still exist")
        else:
            entry.message = explain(str(exc), context) or str(exc)
        drift.error = entry.message
        (target / "error.txt").write_text(f"{entry.message}\n\n{exc}\n", encoding="utf-8")
        progress(stack.name, "failed")
        return entry, drift
    report = redact_plan(_report_plan(plan, state, resources, gone))
    report["resource_changes"] = true_drift(report["resource_changes"], plan.get("configuration") or {})
    drift.deleted = sorted(gone)
    drift.changed = sorted(rc["address"] for rc in report["resource_changes"] if rc["address"] not in gone)
    entry.changes = drift.drifted
    (target / PLAN_JSON).write_text(json.dumps(report, indent=1), encoding="utf-8")
    progress(stack.name, "drift" if drift.drifted else "in sync")
    return entry, drift


def refreshable(resources: Sequence[Mapping[str, Any]], gone: set[str]) -> list[str]:
    """The addresses a refresh can read: not gone, and depending on nothing gone (``-target`` refreshes a
    target's dependencies too, and the provider fails with a raw 404 on a missing one). A resource left out for
    that reason belongs to an object already reported deleted."""
    return [
        str(r["address"])
        for r in resources
        if r["address"] not in gone and not set(r.get("depends_on") or ()) & gone
    ]


def _managed(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    root = (state.get("values") or {}).get("root_module") or {}
    return [r for r in root.get("resources") or [] if r.get("mode") == "managed"]


def _report_plan(
    plan: Mapping[str, Any], state: Mapping[str, Any], resources: Sequence[Mapping[str, Any]], gone: set[str]
) -> dict[str, Any]:
    """A plan document whose resource changes are the drift: ``resource_drift`` entries, and a delete for every
    object found missing (with ``action_reason`` :data:`DELETED_OUTSIDE`)."""
    changes = [dict(rc) for rc in plan.get("resource_drift") or [] if rc.get("mode") == "managed"]
    for resource in resources:
        address = str(resource["address"])
        if address not in gone:
            continue
        changes.append(
            {
                "address": address,
                "mode": "managed",
                "type": resource.get("type"),
                "name": resource.get("name"),
                "provider_name": resource.get("provider_name"),
                "action_reason": DELETED_OUTSIDE,
                "change": {
                    "actions": ["delete"],
                    "before": resource.get("values"),
                    "after": None,
                    "after_unknown": {},
                    "before_sensitive": resource.get("sensitive_values") or {},
                    "after_sensitive": False,
                },
            }
        )
    return {
        "format_version": plan.get("format_version") or state.get("format_version") or "1.2",
        "terraform_version": plan.get("terraform_version") or state.get("terraform_version") or "",
        "resource_changes": sorted(changes, key=lambda rc: str(rc["address"])),
        "prior_state": {"values": state.get("values") or {}},
        "planned_values": plan.get("planned_values") or {},
        "configuration": plan.get("configuration") or {},
    }


# --- true drift: only what fleetform manages ----------------------------------------------------------------


def true_drift(
    changes: Sequence[Mapping[str, Any]], configuration: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The drift entries that change an attribute the stack's configuration sets, each with every other
    attribute left as it was; objects deleted outside fleetform are kept as they are.

    A refresh also updates what fleetform does not manage: the computed ``vm`` details of a power state (its
    vCPU count after fleetform changed the VM's, guest IP addresses, ...), ids, slots. Those are not drift: a
    nightly drift job must stay quiet after a normal deploy."""
    configured = _configured_attributes(configuration)
    kept = []
    for rc in changes:
        if rc.get("action_reason") == DELETED_OUTSIDE:
            kept.append(dict(rc))
            continue
        change = rc.get("change") or {}
        before, after = change.get("before"), change.get("after")
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            kept.append(dict(rc))
            continue
        managed = configured.get(str(rc.get("address")), set())
        if not any(before.get(key) != after.get(key) for key in managed):
            continue
        quiet = {key: (value if key in managed else before.get(key, value)) for key, value in after.items()}
        kept.append({**rc, "change": {**change, "after": quiet}})
    return kept


def _configured_attributes(configuration: Mapping[str, Any]) -> dict[str, set[str]]:
    """Address -> the attributes its configuration sets (``terraform show -json``'s ``expressions``)."""
    module = configuration.get("root_module") or {}
    return {
        str(resource.get("address")): set(resource.get("expressions") or {})
        for resource in module.get("resources") or []
        if resource.get("mode") == "managed"
    }
