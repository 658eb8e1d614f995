"""``make bench``: fleetform's performance at fleet size, against a lower bound; writes bench/results.md.

    .venv/bin/python bench/run.py [--out bench/results.md] [--quick] [--sections synth,profile,plan,import,rollout]
                                  [--sizes 10,100,1000,5000]

Everything runs once, on this machine, in one go; the figures in results.md come from that run only.

1. Synth of generated fleets of 10, 100, 1,000 and 5,000 VMs (``bench/fleetgen.py``: seed-like applications of
   five VMs, four clusters picked by labels; one stack per application): wall time and peak memory (all
   processes, Node included; ``bench/measure.py``) of ``fleetform synth`` (every stack built, synth cache off),
   of ``fleetform synth`` again (every stack from the synth cache), of ``npx cdktf synth`` (``main.py``), of
   the lower bound (``bench/lower_bound.py``: parse, validate and json.dumps equivalent Terraform JSON, checked
   equal to fleetform's once parsed) and, up to 1,000 VMs, of a naive cdktf app with one construct (a typed
   binding) per resource (``bench/naive_per_resource.py``, its JSON checked equal too), run in rounds
   (each command once per round, so that load from others falls on all alike). Median of three runs
   (one for the slowest), peak of all runs. A least-squares line through the four sizes gives the slope.
2. Profile (cProfile) of a 1,000-VM synth: the naive per-resource app and fleetform synth, phase by phase.
3. On the simulator (``fleetform.simulator``, the stand-in provider; ``tests/support/sandbox.py``):
   - a stack of 100 VMs, deployed: a no-op ``fleetform plan`` (synth, cached, plus init, plan, show) against
     plain ``terraform plan`` in the same working directory, with ``-parallelism`` 1 and 10 (median of 3);
   - the 1,000-VM fleet, deployed (``fleetform plan`` then ``fleetform apply``): a one-VM change, synthesized
     and planned with ``fleetform plan --changed``, against synthesizing (no cache) and planning that one
     stack alone in a project of its own (same site and state); the no-op ``fleetform plan --changed``; a no-op
     ``fleetform plan`` of all 200 stacks.
4. ``fleetform import`` of 100 and 1,000 simulated VMs (``bench/import_bench.py``).
5. A 50-cluster rollout of the seed applications (``fleetform rollout``) against the sum of its per-stack
   applies (``bench/rollout_bench.py``, which also runs alone).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import fleetgen  # noqa: E402
import measure  # noqa: E402
import rollout_bench  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
FLEETFORM = str(ROOT / ".venv" / "bin" / "fleetform")
SIZES = (10, 100, 1000, 5000)
CLUSTERS = 4
TARGETS = {
    "ratio_full_synth": 15.0,
    "naive_over_full": 1.5,
    "peak_mb": 600.0,
    "ratio_incremental": 3.0,
    "ratio_noop_plan": 1.2,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Sample:
    """Repeated runs of one command: median time, peak memory over all runs."""

    seconds: list[float] = field(default_factory=list)
    peak_mb: float = 0.0

    def add(self, run: measure.Measured) -> None:
        self.seconds.append(run.seconds)
        self.peak_mb = max(self.peak_mb, run.peak_mb)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def env_base(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CHECKPOINT_DISABLE="1", DISABLE_VERSION_CHECK="1", JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1"
    )
    env.pop("FLEETFORM_SYNTH_CACHE", None)
    env.update(extra)
    return env


# --- 1. synth -------------------------------------------------------------------------------------------


@dataclass
class SynthRow:
    vms: int
    stacks: int
    resources: int
    lower: Sample
    full: Sample
    cached: Sample
    cdktf: Sample
    naive: Sample | None = None
    """The naive per-resource app (up to 1,000 VMs)."""


def synth_section(work: Path, sizes: Sequence[int], repeats: int) -> list[SynthRow]:
    """Each size's commands in rounds (lower bound, fleetform synth, cached, cdktf, naive app, then again), so
    that a change in the machine's load, shared with others, falls on every command alike."""
    rows = []
    for vms in sizes:
        fleet = work / f"fleet-{vms}"
        fleetgen.write_fleet(fleet, vms, clusters=CLUSTERS)
        times = 1 if vms >= 5000 else repeats
        lower_out, out, cdk_out, naive_out = (
            fleet / n for n in ("lb.out", "cdktf.out", "cdk.out", "naive.out")
        )
        # name -> (command, output to remove first, cwd, extra environment)
        commands: dict[str, tuple[list[str], Path | None, Path, dict[str, str]]] = {
            "lower bound": (
                [
                    PY,
                    str(BENCH / "lower_bound.py"),
                    "-c",
                    "fleetform.yaml",
                    "-m",
                    "manifests",
                    "-o",
                    str(lower_out),
                ],
                lower_out,
                fleet,
                {},
            ),
            "fleetform synth (cache off)": (
                [FLEETFORM, "synth", "-m", "manifests", "-c", "fleetform.yaml", "-o", str(out)],
                out,
                fleet,
                {"FLEETFORM_SYNTH_CACHE": "off"},
            ),
            "fleetform synth (every stack cached)": (
                [FLEETFORM, "synth", "-m", "manifests", "-c", "fleetform.yaml", "-o", str(out)],
                None,
                fleet,
                {},
            ),
            "npx cdktf synth": (
                ["npx", "--no-install", "cdktf", "synth", "--output", str(cdk_out)],
                cdk_out,
                ROOT,
                {
                    "FLEETFORM_MANIFESTS": str(fleet / "manifests"),
                    "FLEETFORM_CONFIG": str(fleet / "fleetform.yaml"),
                },
            ),
        }
        if vms <= 1000:
            commands["naive per-resource app"] = (
                [PY, str(BENCH / "naive_per_resource.py"), str(fleet), str(naive_out)],
                naive_out,
                fleet,
                {},
            )
        samples = {name: Sample() for name in commands}
        for round_ in range(times):
            for name, (command, output, cwd, extra) in commands.items():
                log(f"synth {vms} VMs: {name} ({round_ + 1}/{times})")
                if output is not None:
                    shutil.rmtree(output, ignore_errors=True)
                samples[name].add(measure.run(command, cwd=cwd, env=env_base(**extra)))
        stacks, resources = check_equivalent(out, lower_out)
        naive = samples.get("naive per-resource app")
        if naive is not None:
            check_equivalent(out, naive_out)
        lower, full = samples["lower bound"], samples["fleetform synth (cache off)"]
        cached, cdktf = samples["fleetform synth (every stack cached)"], samples["npx cdktf synth"]
        rows.append(SynthRow(vms, stacks, resources, lower, full, cached, cdktf, naive))
        log(
            f"  {vms} VMs: lower {lower.median:.2f} s, fleetform {full.median:.2f} s ({full.peak_mb:.0f} MB), "
            f"cached {cached.median:.2f} s, cdktf {cdktf.median:.2f} s"
            + (f", naive per-resource {naive.median:.2f} s" if naive else "")
        )
    return rows


def check_equivalent(ours: Path, lower: Path) -> tuple[int, int]:
    """Another synth's JSON (the lower bound's, the naive app's) equals fleetform's, once parsed; the number of
    stacks and resources."""
    stacks = sorted(p.name for p in (ours / "stacks").iterdir())
    theirs = sorted(p.name for p in (lower / "stacks").iterdir())
    if stacks != theirs:
        raise SystemExit(f"{lower} holds other stacks than fleetform wrote: {len(theirs)} vs {len(stacks)}")
    resources = 0
    for stack in stacks:
        a = json.loads((ours / "stacks" / stack / "cdk.tf.json").read_text())
        b = json.loads((lower / "stacks" / stack / "cdk.tf.json").read_text())
        if a != b:
            raise SystemExit(f"{lower}: the JSON differs from fleetform's for stack {stack}")
        resources += sum(len(v) for v in a.get("resource", {}).values())
        resources += sum(len(v) for v in a.get("data", {}).values())
    return len(stacks), resources


@dataclass(frozen=True)
class Line:
    """Least squares t = a + b * VMs, and the cost of each step between two measured sizes."""

    a: float
    b: float
    """Seconds per 1,000 VMs."""
    r2: float
    steps: list[tuple[int, int, float]]
    """(from VMs, to VMs, seconds per 1,000 VMs between them)."""

    @property
    def linear(self) -> bool:
        """Not growing faster than linearly: a good fit, and the last step no dearer than the one before."""
        last, before = self.steps[-1][2], self.steps[-2][2]
        return self.r2 >= 0.99 and last <= 1.25 * before

    def describe(self) -> str:
        steps = ", ".join(f"{f:,}→{t:,}: {max(c, 0.0):.2f}" for f, t, c in self.steps)
        return f"{fmt(self.a)} + **{self.b:.2f} s per 1,000 VMs** (R² {self.r2:.4f}); per step, s per 1,000 VMs: {steps}"


def slope(rows: Sequence[SynthRow], pick: Callable[[SynthRow], float]) -> Line:
    xs = [r.vms for r in rows]
    ys = [pick(r) for r in rows]
    mean_x, mean_y = statistics.mean(xs), statistics.mean(ys)
    b = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    a = mean_y - b * mean_x
    residual = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    total = sum((y - mean_y) ** 2 for y in ys)
    steps = [(xs[i], xs[i + 1], (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) * 1000) for i in range(len(xs) - 1)]
    return Line(a, b * 1000, 1 - residual / total if total else 1.0, steps)


# --- 2. profile -----------------------------------------------------------------------------------------


def profile_section(work: Path, vms: int) -> dict[str, Any]:
    fleet = work / f"fleet-{vms}"
    if not (fleet / "manifests").is_dir():
        fleetgen.write_fleet(fleet, vms, clusters=CLUSTERS)
    result = {}
    for mode in ("per-resource", "fleetform"):
        log(f"profile {vms} VMs: {mode}")
        run = measure.run([PY, str(BENCH / "profile_synth.py"), str(fleet), "--mode", mode], env=env_base())
        result[mode] = json.loads(run.stdout)
    return result


# --- 3. simulator ---------------------------------------------------------------------------------------


@dataclass
class PlanResults:
    noop: dict[int, tuple[float, float]] = field(default_factory=dict)
    """parallelism -> (plain terraform plan, fleetform plan), medians."""
    noop_samples: dict[int, tuple[list[float], list[float]]] = field(default_factory=dict)
    big_resources: int = 0
    change: dict[int, tuple[float, float]] = field(default_factory=dict)
    """parallelism -> (fleet: fleetform plan --changed after a one-VM change, that stack alone)."""
    changed_noop: dict[int, float] = field(default_factory=dict)
    fleet_noop_all: float = 0.0
    fleet_stacks: int = 0
    fleet_vms: int = 0
    deploy: dict[str, float] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)
    """Pieces of a no-op fleetform plan of the big stack, timed alone."""


def plan_section(work: Path, *, big_vms: int, fleet_vms: int, repeats: int) -> PlanResults:
    from support.sandbox import TEMPLATES, Sandbox, install_mirror

    from fleetform.simulator.testing import run_in_thread

    results = PlanResults(fleet_vms=fleet_vms)
    cli_config = install_mirror(work / "provider")
    with run_in_thread(templates=TEMPLATES, data_dir=work / "simulator") as sim:
        # -- a stack of big_vms VMs: no-op plan against plain terraform plan
        box = Sandbox(work / "big", sim, cli_config)
        box.write_manifest("big", fleetgen.dump(fleetgen.single_application(big_vms)))
        env = box.env()
        common = ["-m", "manifests", "-c", "fleetform.yaml"]
        log(f"simulator: deploying a stack of {big_vms} VMs")
        started = time.perf_counter()
        run(FLEETFORM, "synth", *common, cwd=box.root, env=env)
        stack = box.stack_dir("big")
        run("terraform", "init", "-input=false", "-no-color", cwd=stack, env=env)
        run(
            "terraform",
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            # As production runs it: HyperCore refuses a second task on a busy VM (HTTP 500), which the
            # simulator models, so the provider wants one operation at a time.
            "-parallelism=1",
            cwd=stack,
            env=env,
        )
        results.deploy[f"apply of the {big_vms}-VM stack (terraform, -parallelism=1)"] = (
            time.perf_counter() - started
        )
        results.big_resources = len(
            json.loads((stack / "cdk.tf.json").read_text())["resource"]["hypercore_vm"]
        )
        run(FLEETFORM, "plan", *common, cwd=box.root, env=env)  # warm-up: records the init
        for parallelism in (10, 1):
            plain, ours = [], []
            for _ in range(repeats):
                plain.append(
                    timed(
                        "terraform",
                        "plan",
                        "-input=false",
                        "-no-color",
                        f"-parallelism={parallelism}",
                        cwd=stack,
                        env=env,
                    )
                )
                ours.append(
                    timed(
                        FLEETFORM, "plan", *common, "--parallelism", str(parallelism), cwd=box.root, env=env
                    )
                )
            results.noop[parallelism] = (statistics.median(plain), statistics.median(ours))
            results.noop_samples[parallelism] = (plain, ours)
            log(f"  no-op plan -parallelism={parallelism}: terraform {plain}, fleetform {ours}")
        # What fleetform plan adds to terraform plan, piece by piece.
        saved = box.root / "plans" / "big" / "tfplan"
        parts = {
            "terraform show -json of the saved plan": ("terraform", "show", "-json", "-no-color", str(saved)),
            "terraform providers schema -json (the provider starting, alone)": (
                "terraform",
                "providers",
                "schema",
                "-json",
            ),
        }
        for label, command in parts.items():
            results.parts[label] = statistics.median(timed(*command, cwd=stack, env=env) for _ in range(3))
        started = time.perf_counter()
        run(PY, "-c", "import fleetform.cli, fleetform.terraform.plans", cwd=box.root, env=env)
        results.parts["fleetform's Python start (interpreter and imports)"] = time.perf_counter() - started

        # -- the fleet: one-VM change, --changed against the stack alone
        names = fleetgen.cluster_names(CLUSTERS)
        clusters = [{"name": n, "host": sim.url, "selector": [f"site:{n}"]} for n in names]
        fleet = Sandbox(work / "fleet", sim, cli_config, site_extra={"clusters": clusters})
        credentials = {}
        for name in names:
            suffix = name.replace("-", "_")
            credentials[f"TF_VAR_hc_username_{suffix}"] = sim.username
            credentials[f"TF_VAR_hc_password_{suffix}"] = sim.password
        fleet.extra_env = credentials
        seeds = {name: fleetgen._seed(name) for name in fleetgen.SEEDS}
        apps = [
            fleetgen.application(n, names[n % len(names)], seeds)
            for n in range(fleet_vms // fleetgen.VMS_PER_APP)
        ]
        for data in apps:
            fleet.write_manifest(data["metadata"]["name"], fleetgen.dump(data))
        env = fleet.env()
        log(f"simulator: deploying the {fleet_vms}-VM fleet ({len(apps)} stacks)")
        started = time.perf_counter()
        run(FLEETFORM, "plan", *common, "--parallel", "2", "-o", "deploy", cwd=fleet.root, env=env)
        results.deploy[f"fleetform plan of the {fleet_vms}-VM fleet (creates)"] = (
            time.perf_counter() - started
        )
        started = time.perf_counter()
        run(FLEETFORM, "apply", "deploy", "--parallel", "2", cwd=fleet.root, env=env)
        results.deploy[f"fleetform apply of the {fleet_vms}-VM fleet"] = time.perf_counter() - started
        results.fleet_stacks = len(apps)

        log("  no-op fleetform plan --changed, and of every stack")
        for parallelism in (10, 1):
            results.changed_noop[parallelism] = timed(
                FLEETFORM,
                "plan",
                *common,
                "--changed",
                "--parallelism",
                str(parallelism),
                cwd=fleet.root,
                env=env,
            )
        results.fleet_noop_all = timed(FLEETFORM, "plan", *common, cwd=fleet.root, env=env)

        target = apps[0]
        name = target["metadata"]["name"]
        manifest = fleet.manifests / f"{name}.yaml"
        alone = work / "alone"
        (alone / "manifests").mkdir(parents=True)
        site = yaml.safe_load(fleet.config.read_text())
        # Its own state directory, holding a copy of that stack's state (the fleet's others would be orphans).
        site["state"] = {"backend": "local", "dir": "state"}
        (alone / "state").mkdir()
        stack_name = f"{name}--{names[0]}"
        shutil.copy(fleet.root / "state" / f"{stack_name}.tfstate", alone / "state" / f"{stack_name}.tfstate")
        site["images"] = {url: str((fleet.root / path).resolve()) for url, path in site["images"].items()}
        (alone / "fleetform.yaml").write_text(yaml.safe_dump(site, sort_keys=False))
        for parallelism in (10, 1):
            # A new change each time (one VM's vCPUs), so that each run synthesizes the stack again.
            target["spec"]["resources"][0]["spec"]["cpu"] += 1
            manifest.write_text(fleetgen.dump(target))
            fleet_seconds = timed(
                FLEETFORM,
                "plan",
                *common,
                "--changed",
                "--parallelism",
                str(parallelism),
                cwd=fleet.root,
                env=env,
            )
            planned = json.loads((fleet.root / "plans" / "manifest.json").read_text())["stacks"]
            if list(planned) != [stack_name] or not planned[stack_name]["changes"]:
                raise SystemExit(
                    f"fleetform plan --changed planned {list(planned)}, not the one changed stack"
                )
            shutil.copy(manifest, alone / "manifests" / manifest.name)
            run(FLEETFORM, "plan", *common, cwd=alone, env=env)  # warm-up: init of its working directory
            alone_seconds = timed(
                FLEETFORM,
                "plan",
                *common,
                "--parallelism",
                str(parallelism),
                cwd=alone,
                env={**env, "FLEETFORM_SYNTH_CACHE": "off"},
            )
            results.change[parallelism] = (fleet_seconds, alone_seconds)
            log(
                f"  one-VM change -parallelism={parallelism}: fleet {fleet_seconds:.2f} s, alone {alone_seconds:.2f} s"
            )
    return results


def run(*command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 2) or (done.returncode == 2 and command[0] != "terraform"):
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def timed(*command: str, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    run(*command, cwd=cwd, env=env)
    return time.perf_counter() - started


# --- 4. import ------------------------------------------------------------------------------------------


def import_section(counts: Sequence[int]) -> dict[int, tuple[float, int]]:
    found = {}
    for count in counts:
        log(f"import of {count} VMs")
        done = measure.run([PY, str(BENCH / "import_bench.py"), "--vms", str(count)], env=env_base())
        match = re.search(r"fleetform import of (\d+) VMs \((\d+) import IDs\): ([\d.]+) s", done.stdout)
        if match is None:
            raise SystemExit(f"unexpected import_bench output:\n{done.stdout}")
        found[count] = (float(match[3]), int(match[2]))
    return found


# --- results --------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def out(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in out("lscpu").splitlines()
            if line.startswith("Model name")
        ),
        "?",
    )
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    terraform = json.loads(out("terraform", "version", "-json") or "{}").get("terraform_version", "?")
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "RAM": f"{int(mem) / 2**20:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Terraform": terraform,
        "Node": out("node", "--version"),
        "cdktf": out(PY, "-c", "import importlib.metadata as m; print(m.version('cdktf'))"),
    }


def fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_results(path: Path, meta: dict[str, Any], data: dict[str, Any]) -> str:
    lines = [
        "# fleetform performance at fleet size",
        "",
        f"Made by `{meta['command']}` on {meta['started']} ({meta['seconds'] / 60:.0f} min); every figure below is "
        "from that one run (raw figures: results.json).",
        "Regenerate with `make bench`. How each figure is measured: `bench/run.py` (docstring).",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in meta["machine"].items()) + ".",
        "",
    ]
    rows: list[SynthRow] = data.get("synth", [])
    plans: PlanResults | None = data.get("plan")
    imports: dict[int, tuple[float, int]] = data.get("import", {})
    by_size = {r.vms: r for r in rows}
    lines += ["## Targets", "", "| figure | measured | target | met |", "|---|---|---|---|"]
    if 1000 in by_size:
        r = by_size[1000]
        ratio = r.full.median / r.lower.median
        lines.append(
            f"| full synth, 1,000 VMs ({r.resources:,} resources, {r.stacks} stacks) | {fmt(r.full.median)} = "
            f"**{ratio:.1f}×** the lower bound ({fmt(r.lower.median)}) | ≤ {TARGETS['ratio_full_synth']:.0f}× | "
            f"{verdict(ratio <= TARGETS['ratio_full_synth'])} |"
        )
        if r.naive is not None:
            faster = r.naive.median / r.full.median
            lines.append(
                f"| full synth, 1,000 VMs, against a naive cdktf app with one construct per resource "
                f"({fmt(r.naive.median)}) | **{faster:.1f}×** faster | ≥ {TARGETS['naive_over_full']}× | "
                f"{verdict(faster >= TARGETS['naive_over_full'])} |"
            )
        lines.append(
            f"| peak memory of that synth (Python + Node) | **{r.full.peak_mb:.0f} MB** | < 600 MB | "
            f"{verdict(r.full.peak_mb < 600)} |"
        )
    if len(rows) >= 3:
        line = slope(rows, lambda r: r.full.median)
        lines.append(
            f"| `fleetform synth` cost linear in fleet size | {line.describe()} | linear (no step dearer than "
            f"1.25× the one before it, R² ≥ 0.99) | {verdict(line.linear)} |"
        )
    if plans is not None:
        for parallelism, (fleet_s, alone_s) in sorted(plans.change.items(), reverse=True):
            ratio = fleet_s / alone_s
            lines.append(
                f"| one-VM change in the {plans.fleet_vms:,}-VM fleet, synth + `fleetform plan --changed`, "
                f"-parallelism={parallelism} | {fmt(fleet_s)} = **{ratio:.2f}×** that stack alone ({fmt(alone_s)}) "
                f"| ≤ 3× | {verdict(ratio <= 3)} |"
            )
        for parallelism, (plain, ours) in sorted(plans.noop.items(), reverse=True):
            ratio = ours / plain
            lines.append(
                f"| no-op `fleetform plan` of a {plans.big_resources}-VM stack, -parallelism={parallelism} | "
                f"{fmt(ours)} = **{ratio:.2f}×** plain `terraform plan` ({fmt(plain)}) | ≤ 1.2× | "
                f"{verdict(ratio <= 1.2)} |"
            )
    for count, (seconds, ids) in sorted(imports.items()):
        lines.append(
            f"| `fleetform import` of {count:,} simulated VMs ({ids:,} import IDs) | {fmt(seconds)} | — | — |"
        )
    lines.append("")
    if rows:
        lines += [
            "## Synth",
            "",
            "Wall time (median) and peak memory of all processes (Python, jsii's Node, the cdktf CLI), with the "
            "ratio to the lower bound. Fleets: seed-like applications of 5 VMs on 4 clusters.",
            "",
            "| VMs | stacks | resources | lower bound | fleetform synth | ratio | fleetform synth, all cached | ratio | "
            "npx cdktf synth | ratio | naive per-resource app | ratio |",
            "|---:|---:|---:|---|---|---:|---|---:|---|---:|---|---:|",
        ]
        for r in rows:
            lb = r.lower.median

            def cell(s: Sample | None) -> str:
                return "—" if s is None else f"{fmt(s.median)}, {s.peak_mb:.0f} MB"

            def ratio(s: Sample | None, lb: float = lb) -> str:
                return "—" if s is None else f"{s.median / lb:.1f}×"

            lines.append(
                f"| {r.vms:,} | {r.stacks} | {r.resources:,} | {cell(r.lower)} | {cell(r.full)} | {ratio(r.full)} | "
                f"{cell(r.cached)} | {ratio(r.cached)} | {cell(r.cdktf)} | {ratio(r.cdktf)} | {cell(r.naive)} | "
                f"{ratio(r.naive)} |"
            )
        lines.append("")
        if len(rows) >= 3:
            lines.append(
                "Least-squares lines through the sizes (t = a + b × VMs), and the cost of each step:"
            )
            lines.append("")
            for label, pick in (
                ("lower bound", lambda r: r.lower.median),
                ("fleetform synth", lambda r: r.full.median),
                ("fleetform synth, all cached", lambda r: r.cached.median),
                ("npx cdktf synth", lambda r: r.cdktf.median),
            ):
                lines.append(f"- {label}: {slope(rows, pick).describe()}")
            lines.append("")
    profile = data.get("profile")
    if profile:
        lines += [
            "## Profile of a 1,000-VM synth (cProfile)",
            "",
            f"| phase | naive per-resource app ({profile['per-resource']['seconds']:.1f} s) | calls | "
            f"now ({profile['fleetform']['seconds']:.1f} s) | calls |",
            "|---|---:|---:|---:|---:|",
        ]
        now = {p["phase"]: p for p in profile["fleetform"]["phases"]}
        for p in profile["per-resource"]["phases"]:
            q = now[p["phase"]]
            lines.append(
                f"| {p['phase']} | {p['seconds']:.2f} s | {p['calls']:,} | {q['seconds']:.2f} s | {q['calls']:,} |"
            )
        lines += ["", "(Profiled times are inflated by cProfile; the wall times above are not.)", ""]
    if plans is not None:
        lines += ["## Plans on the simulator", ""]
        for parallelism, (plain, ours) in sorted(plans.noop_samples.items(), reverse=True):
            lines.append(
                f"- no-op plan of the {plans.big_resources}-VM stack, -parallelism={parallelism}: plain terraform plan "
                f"{', '.join(fmt(x) for x in plain)}; fleetform plan {', '.join(fmt(x) for x in ours)}"
            )
        for parallelism, seconds in sorted(plans.changed_noop.items(), reverse=True):
            lines.append(
                f"- no-op `fleetform plan --changed` of the {plans.fleet_vms:,}-VM fleet ({plans.fleet_stacks} stacks, "
                f"nothing to plan), -parallelism={parallelism}: {fmt(seconds)}"
            )
        lines.append(
            f"- no-op `fleetform plan` of every stack of the fleet ({plans.fleet_stacks} stacks, --parallel 4): "
            f"{fmt(plans.fleet_noop_all)}"
        )
        for what, seconds in plans.parts.items():
            lines.append(
                f"- a piece of the no-op fleetform plan of the {plans.big_resources}-VM stack: {what}: {fmt(seconds)}"
            )
        for what, seconds in plans.deploy.items():
            lines.append(f"- setup, not a target: {what}: {fmt(seconds)}")
        lines.append("")
    lines += rollout_bench.render(data.get("rollout", {}))
    notes = data.get("notes", "")
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    text = "\n".join(lines)
    path.write_text(text)
    return text


def save(path: Path, meta: dict[str, Any], data: dict[str, Any]) -> None:
    """The run's raw figures, so that results.md can be written again from them (``--render``)."""
    raw: dict[str, Any] = {"meta": meta}
    if "synth" in data:
        raw["synth"] = [dataclasses.asdict(row) for row in data["synth"]]
    if "plan" in data:
        raw["plan"] = dataclasses.asdict(data["plan"])
    for key in ("profile", "import", "rollout"):
        if key in data:
            raw[key] = data[key]
    path.write_text(json.dumps(raw, indent=1) + "\n")


def load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = json.loads(path.read_text())
    data: dict[str, Any] = {}

    def sample(value: dict[str, Any] | None) -> Sample | None:
        return None if value is None else Sample(**value)

    if "synth" in raw:
        data["synth"] = [
            SynthRow(
                **{
                    # Runs before the naive app was measured kept the old per-resource constructs as "before".
                    **{k: v for k, v in row.items() if k != "before"},
                    **{k: sample(row.get(k)) for k in ("lower", "full", "cached", "cdktf", "naive")},
                }
            )
            for row in raw["synth"]
        ]
    if "plan" in raw:
        plan = raw["plan"]
        for key in ("noop", "noop_samples", "change", "changed_noop"):
            plan[key] = {int(k): v for k, v in plan[key].items()}
        data["plan"] = PlanResults(**plan)
    if "profile" in raw:
        renamed = {"constructs": "per-resource", "fast": "fleetform"}
        data["profile"] = {renamed.get(k, k): v for k, v in raw["profile"].items()}
    if "import" in raw:
        data["import"] = {int(k): tuple(v) for k, v in raw["import"].items()}
    if "rollout" in raw:
        data["rollout"] = raw["rollout"]
    return raw["meta"], data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results.md")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: to try the benchmark")
    parser.add_argument("--sections", default="synth,profile,plan,import,rollout")
    parser.add_argument(
        "--sizes", help="fleet sizes (VMs) of the synth section, comma-separated (default: 10,100,1000,5000)"
    )
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    parser.add_argument("--notes", type=Path, default=BENCH / "notes.md", help="text for the Notes section")
    parser.add_argument(
        "--render", action="store_true", help="measure nothing: write --out again from its .json (same run)"
    )
    args = parser.parse_args()
    raw_path = args.out.with_suffix(".json")
    if args.render:
        meta, data = load(raw_path)
    else:
        sections = set(args.sections.split(","))
        work = args.keep or Path(tempfile.mkdtemp(prefix="fleetform-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        started_at, started = time.strftime("%Y-%m-%d %H:%M %Z"), time.perf_counter()
        quick = args.quick
        data = {}
        try:
            if "synth" in sections:
                sizes = (10, 100, 500) if quick else SIZES
                if args.sizes:
                    sizes = tuple(int(size) for size in args.sizes.split(","))
                data["synth"] = synth_section(work, sizes, 1 if quick else 3)
            if "profile" in sections:
                data["profile"] = profile_section(work, 100 if quick else 1000)
            if "plan" in sections:
                data["plan"] = plan_section(
                    work,
                    big_vms=20 if quick else 100,
                    fleet_vms=50 if quick else 1000,
                    repeats=1 if quick else 5,
                )
            if "import" in sections:
                data["import"] = import_section((20, 50) if quick else (100, 1000))
            if "rollout" in sections:
                data["rollout"] = rollout_bench.rollout_bench(work / "rollout", clusters=10 if quick else 50)
        finally:
            if args.keep is None:
                shutil.rmtree(work, ignore_errors=True)
        full = not quick and not args.sizes and sections == {"synth", "profile", "plan", "import", "rollout"}
        command = "make bench" if full else " ".join([".venv/bin/python", "bench/run.py", *sys.argv[1:]])
        meta = {
            "command": command,
            "started": started_at,
            "seconds": time.perf_counter() - started,
            "machine": machine(),
        }
        save(raw_path, meta, data)
    if args.notes.is_file():
        data["notes"] = args.notes.read_text()
    print(write_results(args.out, meta, data))


if __name__ == "__main__":
    main()
