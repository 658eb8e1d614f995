"""Saved plans for many stacks: ``fleetform plan`` (synthesize once, plan every stack in parallel, save what a
review needs) and ``fleetform apply`` (apply exactly those plans, never a new one).

Plan directory format: :mod:`fleetform.review.bundle`.

**Stacks whose manifest was deleted** (orphans) still have state, and cdktf only drops their directory. With the
local backend, every ``<state dir>/<stack>.tfstate`` that holds resources but has no synthesized stack is an
orphan; with the pg backend fleetform cannot list PostgreSQL schemas (it has no database driver), so an orphan
is planned only when named with ``--stacks`` (the GitHub workflow names the stacks that the base branch
synthesizes and the pull request no longer does). An orphan gets a *tombstone*: a stack with the same provider
configuration and backend as before and no resources, under ``<synth dir>/tombstones/<stack>``, so that
``terraform plan`` destroys everything in its state. The review flags it loudly.

**The data-loss guard.** Synth puts ``prevent_destroy`` on every data disk (Terraform then fails the plan with
its own error, which :func:`_prevent_destroy_message` turns into one that names the VM, the disk and the fix).
``prevent_destroy`` cannot cover a disk whose resource left the configuration (its VM was removed from the
manifest, or the whole manifest was deleted) nor a disk that HyperCore deletes with a replaced VM. After each
plan, :func:`fleetform.review.hypercore.disk_losses` finds those in the plan JSON; a *data* disk among them
(rule: :mod:`fleetform.review.hypercore`) refuses the plan unless ``--allow-data-loss`` is given or the
manifest still has the VM with ``x-fleetform.allow_data_loss: true``. A refused stack keeps its plan.json
(so the review shows what would have been destroyed) but not its tfplan, so nothing can apply it.

**Apply** refuses before touching anything when a plan was refused or failed, has been applied already, or
when the Terraform JSON in the stack's working directory is not the one that was planned (sha256 recorded
in the index). Terraform itself refuses a plan whose state changed since ("Saved plan is stale"); that
becomes a clear refusal too. Stacks on the same cluster apply one after another (HyperCore runs one task at
a time), different clusters in parallel up to ``parallel``; each apply runs with ``-parallelism=1``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform import __version__
from fleetform.addresses import logical_id
from fleetform.config import ClusterConfig, SiteConfig
from fleetform.errors import FleetformError, ToolError
from fleetform.inputs import StackInput, load_inputs
from fleetform.manifest.loader import manifest_files
from fleetform.review.bundle import (
    CONFIG_DIR,
    DIAGRAM,
    ERROR_TEXT,
    INDEX,
    PLAN_FILE,
    PLAN_JSON,
    PLAN_TEXT,
    Bundle,
    BundleError,
    DiskRefusal,
    PlanIndex,
    StackEntry,
    StackPlan,
    load_bundle,
    resolve_workdir,
    write_index,
)
from fleetform.review.hypercore import DiskLoss, disk_losses
from fleetform.review.plan import Plan, parse_plan
from fleetform.review.values import disk_size
from fleetform.terraform import Result, Terraform, error_text
from fleetform.translate import credential_variables, pg_schema, state_file

STACK_FILE = "cdk.tf.json"
TOMBSTONES = "tombstones"
_PREVENT_DESTROY = re.compile(r"Resource (\S+) has lifecycle\.prevent_destroy set")
_STALE = "Saved plan is stale"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

Progress = Callable[[str, str], None]
"""``(stack, phase)``: phases ``init``, ``plan``, ``show``, ``apply``; then, for a plan, ``changes``,
``no changes``, ``refused`` or ``failed``, and for an apply ``done``, ``failed`` or ``stale``."""


class PlanRefused(FleetformError):
    """``fleetform apply`` will not apply these plans; ``problems`` says why, one line per stack."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("nothing was applied:\n" + "\n".join(f"  - {p}" for p in self.problems))


# --- planning ---------------------------------------------------------------------------------------------


@dataclass
class PlanOptions:
    """What ``fleetform plan`` was asked to do."""

    manifests: Sequence[Path]
    config: Path | None = None
    out: Path = Path("plans")
    """The plan directory to write. Default: plans."""
    synth_dir: Path = Path("cdktf.out")
    """Where synth writes (and where Terraform works). Default: cdktf.out."""
    stacks: Sequence[str] | None = None
    """Only these stacks (synthesized or orphaned; an empty list plans nothing and writes an empty plan
    directory). Default: every synthesized stack and every orphan."""
    synth: bool = True
    """Synthesize first. Default: True (False: plan what ``synth_dir`` already holds)."""
    allow_data_loss: bool = False
    parallel: int = 4
    """Stacks planned at the same time. Default: 4."""
    parallelism: int = 10
    """Terraform ``-parallelism`` of each plan (reads only). Default: 10."""
    lock_timeout: str | None = None
    """Terraform ``-lock-timeout`` (e.g. ``5m``). Default: Terraform's (fail at once on a held lock)."""
    replace: Sequence[str] = ()
    """Addresses to rebuild (``-replace``), each ``ADDRESS`` or ``STACK:ADDRESS``."""
    changed: bool = False
    """Only the stacks whose Terraform JSON changed since it last planned without changes or was applied
    (:func:`settled_hash`), and the stacks of deleted manifests. Default: False (every selected stack)."""
    project: Path = field(default_factory=Path.cwd)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True)
class StackJob:
    """One stack to plan."""

    name: str
    workdir: Path
    site: SiteConfig
    """The site as the stack's cluster sees it."""
    stack: StackInput | None = None
    """None for an orphan."""
    replace: tuple[str, ...] = ()

    @property
    def orphan(self) -> bool:
        return self.stack is None


@dataclass
class PlanRun:
    """What ``fleetform plan`` wrote."""

    out: Path
    index: PlanIndex
    warnings: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> list[str]:
        return [n for n, e in self.index.stacks.items() if e.status == "refused"]

    @property
    def failed(self) -> list[str]:
        return [n for n, e in self.index.stacks.items() if e.status == "failed"]


def plan_stacks(options: PlanOptions, *, on_progress: Progress | None = None) -> PlanRun:
    """Synthesize (unless told not to), find orphans, plan the stacks in parallel and write the plan directory.
    Raises InputError for bad manifests and FleetformError for a bad request; a stack whose plan fails or is
    refused is recorded in the index, not raised."""
    started = time.perf_counter()
    progress = on_progress or (lambda stack, phase: None)
    inputs = load_inputs(options.manifests, options.config)
    synth_dir = _absolute(options.synth_dir, options.project)
    warnings: list[Any] = list(inputs.warnings)
    if options.synth:
        from fleetform.synth import synthesize

        result = synthesize(
            options.manifests,
            config_path=options.config,
            outdir=synth_dir,
            allow_data_loss=options.allow_data_loss,
            inputs=inputs,
        )
        warnings = list(result.warnings)
    notes: list[str] = []
    jobs = _jobs(options, inputs.stacks, inputs.site, synth_dir, notes)
    if options.changed:
        unchanged = [
            job.name
            for job in jobs
            if not job.orphan and settled_hash(job.workdir) == config_hash(job.workdir)
        ]
        jobs = [job for job in jobs if job.name not in unchanged]
        if unchanged:
            count = len(unchanged)
            notes.append(
                f"{count} stack{'s' if count != 1 else ''} unchanged since the last plan without changes or "
                "apply: not planned (--changed)"
            )
    out = _absolute(options.out, options.project)
    _prepare_out(out, [job.name for job in jobs])
    terraform = Terraform(env=dict(options.env))
    index = PlanIndex(
        created=_now(),
        fleetform_version=__version__,
        terraform_version=_terraform_version(terraform),
        commit=_commit(options.project),
        project=str(options.project.resolve()),
        inputs_hash=_inputs_hash(options.manifests, options.config),
        allow_data_loss=options.allow_data_loss,
    )
    init_lock = threading.Lock() if options.env.get("TF_PLUGIN_CACHE_DIR") else None

    def one(job: StackJob) -> tuple[str, StackEntry]:
        entry = _plan_one(job, options, terraform, out / job.name, progress, init_lock)
        return job.name, entry

    with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
        for name, entry in pool.map(one, jobs):
            index.stacks[name] = entry
    from fleetform.rollout.planned import assign_waves

    assign_waves(index, inputs.site)
    write_index(out, index)
    return PlanRun(
        out=out, index=index, warnings=warnings, notes=notes, seconds=time.perf_counter() - started
    )


def _jobs(
    options: PlanOptions, stacks: Sequence[StackInput], site: SiteConfig, synth_dir: Path, notes: list[str]
) -> list[StackJob]:
    by_name = {s.name: s for s in stacks}
    synthesized = (
        {p.name for p in (synth_dir / "stacks").iterdir() if (p / STACK_FILE).is_file()}
        if (synth_dir / "stacks").is_dir()
        else set()
    )
    missing = [name for name in by_name if name not in synthesized]
    if missing:
        raise ToolError(
            f"stacks not synthesized in {synth_dir}: {', '.join(missing)}; run `fleetform synth` (or leave out "
            "--no-synth)"
        )
    orphans = _local_orphans(site, set(by_name))
    if site.state.backend == "pg" and options.stacks is None:
        notes.append(
            "pg backend: stacks of deleted manifests cannot be discovered (fleetform cannot list PostgreSQL "
            "schemas); name them with --stacks to plan their destruction"
        )
    wanted = (
        list(dict.fromkeys(_split(options.stacks))) if options.stacks is not None else [*by_name, *orphans]
    )
    replace = _replacements(options.replace, wanted, synth_dir, by_name)
    jobs = []
    for name in wanted:
        if name in by_name:
            stack = by_name[name]
            jobs.append(StackJob(name, synth_dir / "stacks" / name, stack.site, stack, replace.get(name, ())))
            continue
        if site.state.backend == "local" and name not in orphans:
            known = ", ".join(sorted([*by_name, *orphans])) or "none"
            raise ToolError(
                f"no stack named '{name}': it is not synthesized and has no state file; stacks: {known}"
            )
        cluster_site, cluster = _orphan_site(site, name)
        workdir = synth_dir / TOMBSTONES / name
        _write_tombstone(workdir, name, cluster_site, cluster)
        jobs.append(StackJob(name, workdir, cluster_site, None, replace.get(name, ())))
    return jobs


def _split(names: Sequence[str]) -> list[str]:
    return [part.strip() for name in names for part in name.split(",") if part.strip()]


def _replacements(
    requested: Sequence[str], wanted: Sequence[str], synth_dir: Path, by_name: Mapping[str, StackInput]
) -> dict[str, tuple[str, ...]]:
    """``-replace`` addresses per stack: ``STACK:ADDRESS``, or ``ADDRESS`` for every planned stack that has it."""
    result: dict[str, list[str]] = {}
    for item in requested:
        stack, sep, address = item.rpartition(":")
        candidates = [stack] if sep else [s for s in wanted if s in by_name]
        matched = [s for s in candidates if _has_resource(synth_dir / "stacks" / s, address)]
        if not matched:
            raise ToolError(
                f"--replace {item}: no planned stack has resource '{address}' (write STACK:ADDRESS, e.g. "
                f"shop:hypercore_vm.web)"
            )
        for s in matched:
            result.setdefault(s, []).append(address)
    return {s: tuple(a) for s, a in result.items()}


def _has_resource(stack_dir: Path, address: str) -> bool:
    rtype, _, name = address.partition(".")
    try:
        data = json.loads((stack_dir / STACK_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return name in (data.get("resource") or {}).get(rtype, {})


def _local_orphans(site: SiteConfig, synthesized: set[str]) -> list[str]:
    """Stacks with a local state file that holds resources but no synthesized stack."""
    if site.state.backend != "local" or not site.state_dir.is_dir():
        return []
    found = []
    for path in sorted(site.state_dir.glob("*.tfstate")):
        name = path.name[: -len(".tfstate")]
        if name in synthesized:
            continue
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if any(r.get("mode") == "managed" and r.get("instances") for r in state.get("resources") or []):
            found.append(name)
    return found


def _orphan_site(site: SiteConfig, stack: str) -> tuple[SiteConfig, ClusterConfig | None]:
    """The cluster a stack of a deleted manifest ran on: the ``--<cluster>`` suffix of its name."""
    if not site.clusters:
        return site, None
    for cluster in site.clusters:
        if stack.endswith(f"--{cluster.name}"):
            return site.for_cluster(cluster), cluster
    raise ToolError(
        f"stack '{stack}' has state but no manifest, and its cluster is not in the site configuration (stacks "
        "are <application>--<cluster>); add the cluster back to plan its destruction"
    )


DEFAULT_REQUIRED_PROVIDERS = {"hypercore": {"source": "scalecomputing/hypercore", "version": "~> 1.4"}}


def tombstone(
    name: str,
    site: SiteConfig,
    cluster: ClusterConfig | None,
    workdir: Path,
    required_providers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Terraform JSON of a stack whose manifest is gone: the provider configuration and backend it had
    (as :class:`fleetform.app.ApplicationStack` writes them) and no resources. ``required_providers``: as the
    other stacks have it (default: ``scalecomputing/hypercore ~> 1.4``)."""
    data: dict[str, Any] = {
        "//": {"metadata": {"stackName": name, "fleetform": "tombstone: the manifest was deleted"}},
        "terraform": {"required_providers": dict(required_providers or DEFAULT_REQUIRED_PROVIDERS)},
    }
    if site.state.backend == "pg":
        data["terraform"]["backend"] = {"pg": {"schema_name": pg_schema(site, name)}}
    else:
        path = os.path.relpath(state_file(site, name).resolve(), workdir.resolve())
        data["terraform"]["backend"] = {"local": {"path": path}}
    if cluster is None:
        data["provider"] = {"hypercore": [{}]}
    else:
        username, password = credential_variables(cluster.name)
        provider: dict[str, Any] = {"username": f"${{var.{username}}}", "password": f"${{var.{password}}}"}
        if cluster.host:
            provider["host"] = cluster.host
        data["provider"] = {"hypercore": [dict(sorted(provider.items()))]}
        data["variable"] = {
            var: {
                "description": f"{what} for HyperCore cluster '{cluster.name}' (set TF_VAR_{var})",
                "sensitive": True,
                "type": "string",
            }
            for var, what in ((password, "Password"), (username, "Username"))
        }
    return data


def _write_tombstone(workdir: Path, name: str, site: SiteConfig, cluster: ClusterConfig | None) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    data = tombstone(name, site, cluster, workdir, _required_providers(workdir.parent.parent / "stacks"))
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    target = workdir / STACK_FILE
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def _required_providers(stacks_dir: Path) -> dict[str, Any] | None:
    """``terraform.required_providers`` as synth writes it, read from any synthesized stack."""
    for path in sorted(stacks_dir.glob(f"*/{STACK_FILE}")) if stacks_dir.is_dir() else []:
        try:
            found = json.loads(path.read_text(encoding="utf-8"))["terraform"]["required_providers"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError):
            continue
        if isinstance(found, dict):
            return found
    return None


def _prepare_out(out: Path, stacks: Sequence[str]) -> None:
    """Empty the plan directory of a previous run (only what fleetform wrote), or create it."""
    if out.exists():
        if not out.is_dir():
            raise ToolError(f"--out {out} is a file")
        if (out / INDEX).is_file():
            try:
                previous = json.loads((out / INDEX).read_text(encoding="utf-8")).get("stacks") or {}
            except (OSError, json.JSONDecodeError, AttributeError):
                previous = {}
            for name in [*previous, *stacks]:
                if _SAFE_NAME.match(str(name)):  # only the stack directories fleetform wrote
                    shutil.rmtree(out / str(name), ignore_errors=True)
            (out / INDEX).unlink()
        elif any(out.iterdir()):
            raise ToolError(f"--out {out} is not empty and not a plan directory; choose another directory")
    out.mkdir(parents=True, exist_ok=True)
    for name in stacks:
        (out / name).mkdir(parents=True, exist_ok=True)


def _plan_one(
    job: StackJob,
    options: PlanOptions,
    terraform: Terraform,
    target: Path,
    progress: Progress,
    init_lock: threading.Lock | None,
) -> StackEntry:
    started = time.perf_counter()
    stack = job.stack
    entry = StackEntry(
        status="failed",
        orphan=job.orphan,
        workdir=_relative(job.workdir, options.project),
        application=stack.manifest.name if stack else None,
        cluster=stack.target.name if stack else (job.site.cluster.name if job.site.cluster else "default"),
        manifest=_relative(Path(stack.manifest.path), options.project) if stack else None,
        backend=job.site.state.backend,
        networks=dict(job.site.networks),
        allow_data_loss=options.allow_data_loss,
    )
    for item in job.workdir.glob("*.tf.json"):
        (target / CONFIG_DIR).mkdir(exist_ok=True)
        shutil.copy2(item, target / CONFIG_DIR / item.name)
    entry.config_hash = config_hash(job.workdir)
    plan_file = target / PLAN_FILE
    try:
        progress(job.name, "init")
        initialized = _init(terraform, job.workdir, init_lock, reuse=True)
        progress(job.name, "plan")
        args = [
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            f"-parallelism={options.parallelism}",
        ]
        if options.lock_timeout:
            args.append(f"-lock-timeout={options.lock_timeout}")
        args += [f"-replace={address}" for address in job.replace]
        args.append(f"-out={plan_file}")
        result = terraform.run(job.workdir, args, ok_codes=(0, 1, 2))
        if result.code == 1 and not initialized and _NEEDS_INIT.search(result.stderr + result.stdout):
            # The working directory was initialized for what this JSON asked before; not any more.
            progress(job.name, "init")
            _init(terraform, job.workdir, init_lock, reuse=False)
            progress(job.name, "plan")
            result = terraform.run(job.workdir, args, ok_codes=(0, 1, 2))
        if result.code == 1:
            _record_failure(entry, job, result, target)
            _unsettle(job.workdir)
            progress(job.name, entry.status)
            return _finish(entry, started)
        entry.changes = result.code == 2
        progress(job.name, "show")
        # What `terraform show` prints for a plan without changes is what the plan printed, less its progress.
        text = None if entry.changes else _no_changes_text(result.stdout)
        show_json = ["show", "-json", "-no-color", str(plan_file)]
        if text is not None:
            shown = terraform.run(job.workdir, show_json)
        else:
            # Both read only the saved plan (and the provider schemas): run them side by side.
            with ThreadPoolExecutor(max_workers=2) as shows:
                as_json = shows.submit(terraform.run, job.workdir, show_json)
                as_text = shows.submit(terraform.run, job.workdir, ["show", "-no-color", str(plan_file)])
                shown, text = as_json.result(), as_text.result().stdout
        (target / PLAN_JSON).write_text(shown.stdout, encoding="utf-8")
        (target / PLAN_TEXT).write_text(text, encoding="utf-8")
        plan = parse_plan(json.loads(shown.stdout))
    except (FleetformError, json.JSONDecodeError) as exc:
        entry.status = "failed"
        entry.message = str(exc)
        (target / ERROR_TEXT).write_text(str(exc) + "\n", encoding="utf-8")
        plan_file.unlink(missing_ok=True)
        _unsettle(job.workdir)
        progress(job.name, "failed")
        return _finish(entry, started)
    entry.status = "planned"
    if not entry.changes and not job.orphan:
        _settle(job.workdir, entry.config_hash)
    elif not job.orphan:
        _unsettle(job.workdir)
    if job.orphan and not entry.changes:
        entry.message = "no resources in its state: nothing to destroy"
    losses = [loss for loss in disk_losses(plan) if loss.data and not _loss_allowed(loss, job, options)]
    if losses:
        entry.status = "refused"
        entry.refusals = [
            DiskRefusal(address=x.address, vm=x.vm_name, disk=x.disk, why=x.why) for x in losses
        ]
        entry.message = _refusal_message(job, losses)
        plan_file.unlink(missing_ok=True)
    if stack is not None:
        diagram = _diagram(stack, plan)
        if diagram:
            (target / DIAGRAM).write_text(diagram, encoding="utf-8")
    progress(
        job.name,
        entry.status if entry.status != "planned" else ("changes" if entry.changes else "no changes"),
    )
    return _finish(entry, started)


def _finish(entry: StackEntry, started: float) -> StackEntry:
    entry.seconds = round(time.perf_counter() - started, 2)
    return entry


def _record_failure(entry: StackEntry, job: StackJob, result: Result, target: Path) -> None:
    output = result.stderr + ("\n" + result.stdout if result.stdout else "")
    (target / ERROR_TEXT).write_text(error_text(output, limit=200) + "\n", encoding="utf-8")
    (target / PLAN_FILE).unlink(missing_ok=True)
    flat = " ".join(output.split())
    protected = list(dict.fromkeys(_PREVENT_DESTROY.findall(flat)))
    if protected:
        entry.status = "refused"
        entry.refusals = []
        for address in protected:
            vm, disk = _names(job, address)
            entry.refusals.append(
                DiskRefusal(address=address, vm=vm, disk=disk, why="protected by prevent_destroy")
            )
        entry.message = _prevent_destroy_message(job, entry.refusals)
    else:
        entry.status = "failed"
        entry.message = f"terraform plan failed: {error_text(output, limit=12)}"


def _names(job: StackJob, address: str) -> tuple[str | None, str]:
    """A disk address -> the manifest's VM and device names (as written, not as Terraform names them)."""
    _, _, name = address.partition(".")
    if job.stack is not None:
        for vm in job.stack.manifest.application.spec.resources:
            for device in vm.spec.storage_devices:
                if logical_id(vm.name, device.name) == name:
                    return vm.name, device.name
    vm_part, _, device_part = name.partition("__")
    return vm_part or None, device_part or name


def _prevent_destroy_message(job: StackJob, refusals: Sequence[DiskRefusal]) -> str:
    where = _manifest_name(job) or "the manifest"
    disks = "; ".join(f"data disk '{r.disk}' of VM '{r.vm}' ({r.address})" for r in refusals)
    vms = ", ".join(sorted({f"'{r.vm}'" for r in refusals if r.vm}))
    return (
        f"the plan would destroy {disks}, which fleetform protects (prevent_destroy on every "
        f"disk without a boot index). If that is intended, plan again with --allow-data-loss, or set "
        f"`x-fleetform: {{allow_data_loss: true}}` on VM {vms} in {where}."
    )


def _refusal_message(job: StackJob, losses: Sequence[DiskLoss]) -> str:
    disks = "; ".join(
        f"data disk '{x.disk}'{f' ({disk_size(x.size_gb)})' if x.size_gb is not None else ''} of VM "
        f"'{x.vm_name}' ({x.address}): {x.why}"
        for x in losses
    )
    where = _manifest_name(job)
    manifest_fix = (
        f", or, for a VM that stays in the manifest, set `x-fleetform: {{allow_data_loss: true}}` on it in {where}"
        if where
        else ""
    )
    return (
        f"refused: the plan destroys {disks}. If that is intended, plan again with "
        f"--allow-data-loss{manifest_fix}."
    )


def _manifest_name(job: StackJob) -> str | None:
    return _relative(Path(job.stack.manifest.path), Path.cwd()) if job.stack is not None else None


def _loss_allowed(loss: DiskLoss, job: StackJob, options: PlanOptions) -> bool:
    """``--allow-data-loss``, or the VM is still in the manifest with ``x-fleetform.allow_data_loss``."""
    if options.allow_data_loss:
        return True
    if job.stack is None or loss.vm is None:
        return False
    for vm in job.stack.manifest.application.spec.resources:
        if logical_id(vm.name) == loss.vm:
            return vm.settings.allow_data_loss
    return False


def _diagram(stack: StackInput, plan: Plan) -> str | None:
    """The application's Mermaid diagram with the plan's changes highlighted."""
    from fleetform.graph import highlight_from_addresses, render_mermaid

    kinds = {"create": "create", "update": "update", "delete": "delete", "replace": "replace"}
    changes = {rc.address: kinds[rc.action] for rc in plan.managed() if rc.action in kinds}
    try:
        highlight = highlight_from_addresses(changes, stack.manifest)
        return render_mermaid(stack.manifest, stack.site, highlight, startup_order=stack.manifest.startup)
    except (ValueError, KeyError, FleetformError):
        return None


# --- change detection (CI) --------------------------------------------------------------------------------


def changed_stacks(base_dir: Path, head_dir: Path) -> tuple[list[str], list[str]]:
    """Stacks whose Terraform JSON differs between two synth outputs (added ones included), and stacks the base
    has and the head does not (deleted manifests). The ``//`` metadata cdktf writes is ignored."""
    base, head = _synthesized(base_dir), _synthesized(head_dir)
    changed = sorted(name for name, data in head.items() if base.get(name) != data)
    removed = sorted(name for name in base if name not in head)
    return changed, removed


def _synthesized(outdir: Path) -> dict[str, Any]:
    stacks = {}
    root = outdir / "stacks"
    if root.is_dir():
        for path in sorted(root.iterdir()):
            files = sorted(path.glob("*.tf.json"))
            if files:
                stacks[path.name] = {
                    f.name: _without_comments(json.loads(f.read_text("utf-8"))) for f in files
                }
    return stacks


def _without_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_comments(v) for v in value]
    return value


def shards(names: Sequence[str], max_jobs: int) -> list[str]:
    """``names`` in at most ``max_jobs`` comma-separated groups of about equal size (a CI job matrix)."""
    if not names:
        return []
    count = min(len(names), max(1, max_jobs))
    groups: list[list[str]] = [[] for _ in range(count)]
    for number, name in enumerate(names):
        groups[number % count].append(name)
    return [",".join(group) for group in groups]


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
    wanted = set(_split(stacks)) if stacks else None
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
    from fleetform.rollout.hooks import record_applies

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
        return ApplyOutcome(stack.name, False, f"terraform apply failed:\n{error_text(output)}")
    stack.entry.applied = _now()
    if not stack.entry.orphan and stack.entry.config_hash:
        _settle(workdir, stack.entry.config_hash)
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
NO_CHANGES = (
    "\nNo changes. Your infrastructure matches the configuration.\n\n"
    "Terraform has compared your real infrastructure against your configuration\n"
    "and found no differences, so no changes are needed.\n"
)
# The progress lines `terraform plan` prints while it refreshes resources and reads data sources.
_PROGRESS = re.compile(
    r"^(?:data\.)?[A-Za-z0-9_]+\.[^\s:]+(?:\[[^\]]*\])?: "
    r"(?:Refreshing state\.\.\.|Reading\.\.\.|Read complete after )[^\n]*\n",
    re.M,
)


def _no_changes_text(plan_output: str) -> str | None:
    """``terraform show``'s text of a plan without changes, when ``terraform plan`` printed exactly that and its
    progress lines; None otherwise (e.g. notes about objects changed outside Terraform, warnings)."""
    text = _PROGRESS.sub("", plan_output)
    return text if text == NO_CHANGES else None


# --- working directories: init once, and what was settled ------------------------------------------------

INIT_MARKER = Path(".terraform") / "fleetform-init.json"
SETTLED = ".fleetform-settled.json"
# Terraform's errors when a working directory needs `terraform init` (again).
_NEEDS_INIT = re.compile(
    r"terraform init|Backend initialization required|Inconsistent dependency lock file|"
    r"Required plugins are not installed|Missing required provider|Module not installed|"
    r"Backend configuration changed"
)


def _init(terraform: Terraform, workdir: Path, lock: threading.Lock | None, *, reuse: bool) -> bool:
    """``terraform init`` unless ``reuse`` and the working directory was initialized (by fleetform) for the same
    ``terraform`` block (backend, required providers), CLI configuration, plugin cache and binary. Returns
    True when init ran. Terraform itself refuses to plan in a directory whose backend or lock file no longer
    fits; the caller then runs init again."""
    fingerprint = _init_fingerprint(terraform, workdir)
    marker = workdir / INIT_MARKER
    if reuse and fingerprint is not None and (workdir / ".terraform.lock.hcl").is_file():
        try:
            if json.loads(marker.read_text(encoding="utf-8")).get("fingerprint") == fingerprint:
                return False
        except (OSError, ValueError, AttributeError):
            pass
    if lock is not None:
        with lock:
            terraform.init(workdir)
    else:
        terraform.init(workdir)
    if fingerprint is not None and marker.parent.is_dir():
        marker.write_text(json.dumps({"fingerprint": fingerprint}) + "\n", encoding="utf-8")
    return True


def _init_fingerprint(terraform: Terraform, workdir: Path) -> str | None:
    """What ``terraform init`` installed a working directory for; None when fleetform cannot tell."""
    env = terraform.env
    if env.get("TF_DATA_DIR"):
        return None
    digest = hashlib.sha256(f"{terraform.binary}\0{env.get('TF_PLUGIN_CACHE_DIR', '')}\0".encode())
    cli_config = env.get("TF_CLI_CONFIG_FILE") or env.get("TERRAFORM_CONFIG") or ""
    digest.update(cli_config.encode() + b"\0")
    try:
        if cli_config:
            digest.update(Path(cli_config).read_bytes())
        for path in sorted(workdir.glob("*.tf.json")):
            block = json.loads(path.read_text(encoding="utf-8")).get("terraform")
            digest.update(path.name.encode() + b"\0" + json.dumps(block, sort_keys=True).encode() + b"\0")
    except (OSError, ValueError, AttributeError):
        return None
    return "sha256:" + digest.hexdigest()


def settled_hash(workdir: Path) -> str | None:
    """The :func:`config_hash` of the Terraform JSON that last planned without changes in ``workdir``, or was
    last applied there; None when unknown, or when a plan since had changes or failed. ``--changed`` skips a
    stack whose JSON still has this hash: nothing fleetform manages changed since the cluster matched it (what
    changed on the cluster itself is ``fleetform drift``'s to find)."""
    try:
        value = json.loads((workdir / SETTLED).read_text(encoding="utf-8")).get("config_hash")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _settle(workdir: Path, hash_: str) -> None:
    if workdir.is_dir():
        (workdir / SETTLED).write_text(
            json.dumps({"config_hash": hash_, "at": _now()}) + "\n", encoding="utf-8"
        )


def _unsettle(workdir: Path) -> None:
    (workdir / SETTLED).unlink(missing_ok=True)


# --- small helpers ----------------------------------------------------------------------------------------


def config_hash(workdir: Path) -> str:
    """sha256 over the names and bytes of a working directory's ``*.tf.json`` files."""
    digest = hashlib.sha256()
    for path in sorted(workdir.glob("*.tf.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def _inputs_hash(manifests: Sequence[Path], config: Path | None) -> str:
    digest = hashlib.sha256()
    files, _ = manifest_files(list(manifests))
    site = config or Path("fleetform.yaml")
    for path in [*sorted(files), site]:
        try:
            digest.update(str(path).encode() + b"\0" + Path(path).read_bytes() + b"\0")
        except OSError:
            continue
    return "sha256:" + digest.hexdigest()


def _terraform_version(terraform: Terraform) -> str:
    try:
        result = terraform.run(Path.cwd(), ["version", "-json"])
        return str(json.loads(result.stdout).get("terraform_version", ""))
    except (FleetformError, json.JSONDecodeError):
        return ""


def _commit(project: Path) -> str | None:
    """The commit checked out in ``project`` (read-only ``git rev-parse``), or None outside a repository."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _absolute(path: Path, base: Path) -> Path:
    return path if path.is_absolute() else base / path


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())
