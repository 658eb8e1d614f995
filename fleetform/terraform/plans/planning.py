"""``fleetform plan``: synthesize once, plan every stack in parallel (bounded), and write the plan directory."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform import __version__
from fleetform.addresses import logical_id
from fleetform.errors import FleetformError, ToolError
from fleetform.manifest.loader import manifest_files
from fleetform.review.bundle import (
    CONFIG_DIR,
    DIAGRAM,
    ERROR_TEXT,
    INDEX,
    PLAN_FILE,
    PLAN_JSON,
    PLAN_TEXT,
    DiskRefusal,
    PlanIndex,
    StackEntry,
    write_index,
)
from fleetform.review.hypercore import DiskLoss, disk_losses
from fleetform.review.plan import Plan, parse_plan
from fleetform.review.values import disk_size
from fleetform.site.config import SiteConfig, Target
from fleetform.synth.inputs import StackInput, load_inputs
from fleetform.synth.origins import whole_set
from fleetform.terraform.connect import terraform_environment
from fleetform.terraform.plans.common import (
    STACK_FILE,
    TOMBSTONES,
    Progress,
    absolute,
    config_hash,
    now,
    relative,
    split_names,
)
from fleetform.terraform.plans.deleted import Inventories, Removed, take_out_deleted
from fleetform.terraform.plans.failures import explain, failure_context
from fleetform.terraform.plans.orphans import named_orphan, orphan_site, orphans_in_run, write_tombstone
from fleetform.terraform.plans.power import in_place_power_updates
from fleetform.terraform.plans.redact import redact_plan
from fleetform.terraform.plans.workdirs import NEEDS_INIT, init_workdir, settle, settled_hash, unsettle
from fleetform.terraform.runner import Result, Terraform, error_text

_PREVENT_DESTROY = re.compile(r"Resource (\S+) has lifecycle\.prevent_destroy set")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


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
    destroy: bool = False
    """Plan the destruction of every selected stack (``terraform plan -destroy``). Default: False."""
    insecure: bool = False
    """Accept self-signed TLS certificates when fleetform asks the clusters which objects still exist."""
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
    origin: str | None = None
    """An orphan's manifest, as its state records it."""

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
    synth_dir = absolute(options.synth_dir, options.project)
    warnings: list[Any] = list(inputs.warnings)
    if options.synth:
        from fleetform.synth.synthesize import synthesize

        result = synthesize(
            options.manifests,
            config_path=options.config,
            outdir=synth_dir,
            allow_data_loss=options.allow_data_loss,
            inputs=inputs,
            # A run over some manifests leaves the other stacks' files (and working directories) alone.
            prune=whole_set(options.manifests),
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
    env = dict(options.env)
    if jobs:
        env = terraform_environment([Target(job.site.cluster, job.site) for job in jobs], env)
    out = absolute(options.out, options.project)
    _prepare_out(out, [job.name for job in jobs])
    terraform = Terraform(env=env)
    index = PlanIndex(
        created=now(),
        fleetform_version=__version__,
        terraform_version=_terraform_version(terraform),
        commit=_commit(options.project),
        project=str(options.project.resolve()),
        inputs_hash=_inputs_hash(options.manifests, options.config),
        allow_data_loss=options.allow_data_loss,
    )
    init_lock = threading.Lock() if options.env.get("TF_PLUGIN_CACHE_DIR") else None

    inventories = Inventories(env, insecure=options.insecure)

    def one(job: StackJob) -> tuple[str, StackEntry]:
        entry = _plan_one(job, options, terraform, out / job.name, progress, init_lock, inventories)
        return job.name, entry

    try:
        with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
            for name, entry in pool.map(one, jobs):
                index.stacks[name] = entry
    finally:
        inventories.close()
    from fleetform.terraform.rollout.planned import assign_waves

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
    selection = options.stacks is not None
    orphans, left_alone = orphans_in_run(
        site, list(by_name), options.manifests, selection=selection, project=options.project
    )
    notes.extend(left_alone)
    if site.state.backend == "pg" and not selection:
        notes.append(
            "pg backend: stacks of deleted manifests cannot be discovered (fleetform cannot list PostgreSQL "
            "schemas); name them with --stacks to plan their destruction"
        )
    wanted = list(dict.fromkeys(split_names(options.stacks or []))) if selection else [*by_name, *orphans]
    loaded = [s.manifest.path for s in stacks]
    replace = _replacements(options.replace, wanted, synth_dir, by_name)
    jobs = []
    for name in wanted:
        if name in by_name:
            stack = by_name[name]
            jobs.append(StackJob(name, synth_dir / "stacks" / name, stack.site, stack, replace.get(name, ())))
            continue
        origin = orphans.get(name)
        if origin is None:
            origin = named_orphan(site, name, loaded, options.manifests, options.project)
        cluster_site, cluster = orphan_site(site, name)
        workdir = synth_dir / TOMBSTONES / name
        write_tombstone(workdir, name, cluster_site, cluster)
        jobs.append(StackJob(name, workdir, cluster_site, None, replace.get(name, ()), origin or None))
    return jobs


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
    # Saved plans hold sensitive values (Terraform needs them to apply): owner-only, like ~/.ssh.
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    out.chmod(0o700)
    for name in stacks:
        (out / name).mkdir(mode=0o700, parents=True, exist_ok=True)


def _plan_one(
    job: StackJob,
    options: PlanOptions,
    terraform: Terraform,
    target: Path,
    progress: Progress,
    init_lock: threading.Lock | None,
    inventories: Inventories,
) -> StackEntry:
    started = time.perf_counter()
    stack = job.stack
    entry = StackEntry(
        status="failed",
        orphan=job.orphan,
        workdir=relative(job.workdir, options.project),
        application=stack.manifest.name if stack else None,
        cluster=stack.target.name if stack else (job.site.cluster.name if job.site.cluster else "default"),
        manifest=relative(Path(stack.manifest.path), options.project) if stack else job.origin,
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
        initialized = init_workdir(terraform, job.workdir, init_lock, reuse=True)
        progress(job.name, "cluster")
        removed = _take_out_deleted(terraform, job, options, inventories)
        entry.deleted_outside = removed.addresses
        entry.state_backup = str(removed.backup) if removed.backup else None
        progress(job.name, "plan")
        result = _terraform_plan(terraform, job, options, plan_file, job.replace)
        if result.code == 1 and not initialized and NEEDS_INIT.search(result.stderr + result.stdout):
            # The working directory was initialized for what this JSON asked before; not any more.
            progress(job.name, "init")
            init_workdir(terraform, job.workdir, init_lock, reuse=False)
            progress(job.name, "plan")
            result = _terraform_plan(terraform, job, options, plan_file, job.replace)
        if result.code == 1:
            _record_failure(entry, job, result, target, terraform.env)
            unsettle(job.workdir)
            progress(job.name, entry.status)
            return _finish(entry, started)
        progress(job.name, "show")
        shown, text = _show(terraform, job.workdir, plan_file, result)
        power = [] if options.destroy else in_place_power_updates(json.loads(shown))
        if power:
            # The provider cannot update a power state in place (fleetform.terraform.plans.power): plan a replace.
            progress(job.name, "plan")
            replace = tuple(dict.fromkeys([*job.replace, *power]))
            result = _terraform_plan(terraform, job, options, plan_file, replace, ok_codes=(0, 2))
            entry.power_replaced = power
            progress(job.name, "show")
            shown, text = _show(terraform, job.workdir, plan_file, result)
        entry.changes = result.code == 2
        redacted = redact_plan(json.loads(shown))
        (target / PLAN_JSON).write_text(json.dumps(redacted), encoding="utf-8")
        (target / PLAN_TEXT).write_text(text, encoding="utf-8")
        plan = parse_plan(redacted)
    except (FleetformError, json.JSONDecodeError) as exc:
        entry.status = "failed"
        entry.message = explain(str(exc), failure_context(job.name, job.site, terraform.env, "plan")) or str(
            exc
        )
        (target / ERROR_TEXT).write_text(str(exc) + "\n", encoding="utf-8")
        plan_file.unlink(missing_ok=True)
        unsettle(job.workdir)
        progress(job.name, "failed")
        return _finish(entry, started)
    entry.status = "planned"
    if not entry.changes and not job.orphan:
        settle(job.workdir, entry.config_hash)
    elif not job.orphan:
        unsettle(job.workdir)
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


def _take_out_deleted(
    terraform: Terraform, job: StackJob, options: PlanOptions, inventories: Inventories
) -> Removed:
    """Objects of the stack deleted outside fleetform, taken out of its state (:mod:`fleetform.terraform.plans.deleted`)."""
    return take_out_deleted(
        terraform,
        job.workdir,
        job.name,
        job.site,
        project=options.project,
        inventories=inventories,
        lock_timeout=options.lock_timeout,
    )


def _terraform_plan(
    terraform: Terraform,
    job: StackJob,
    options: PlanOptions,
    plan_file: Path,
    replace: Sequence[str],
    ok_codes: Sequence[int] = (0, 1, 2),
) -> Result:
    args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-parallelism={options.parallelism}"]
    if options.destroy:
        args.append("-destroy")
    if options.lock_timeout:
        args.append(f"-lock-timeout={options.lock_timeout}")
    args += [f"-replace={address}" for address in replace]
    args.append(f"-out={plan_file}")
    return terraform.run(job.workdir, args, ok_codes=ok_codes)


def _show(terraform: Terraform, workdir: Path, plan_file: Path, result: Result) -> tuple[str, str]:
    """``terraform show -json`` and ``terraform show`` of a saved plan."""
    # What `terraform show` prints for a plan without changes is what the plan printed, less its progress.
    text = None if result.code == 2 else _no_changes_text(result.stdout)
    show_json = ["show", "-json", "-no-color", str(plan_file)]
    if text is not None:
        return terraform.run(workdir, show_json).stdout, text
    # Both read only the saved plan (and the provider schemas): run them side by side.
    with ThreadPoolExecutor(max_workers=2) as shows:
        as_json = shows.submit(terraform.run, workdir, show_json)
        as_text = shows.submit(terraform.run, workdir, ["show", "-no-color", str(plan_file)])
        return as_json.result().stdout, as_text.result().stdout


def _finish(entry: StackEntry, started: float) -> StackEntry:
    entry.seconds = round(time.perf_counter() - started, 2)
    return entry


def _record_failure(
    entry: StackEntry, job: StackJob, result: Result, target: Path, env: Mapping[str, str]
) -> None:
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
        words = explain(output, failure_context(job.name, job.site, env, "plan"))
        entry.message = words or f"terraform plan failed: {error_text(output, limit=12)}"


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
        f"disk without a boot index). If that is intended, run the same command again with --allow-data-loss, or set "
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
        f"refused: the plan destroys {disks}. If that is intended, run the same command again with "
        f"--allow-data-loss{manifest_fix}."
    )


def _manifest_name(job: StackJob) -> str | None:
    return relative(Path(job.stack.manifest.path), Path.cwd()) if job.stack is not None else None


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
