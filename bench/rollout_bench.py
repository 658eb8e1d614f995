"""``make bench``'s rollout section: a 50-cluster rollout of the seed applications against the sum of its
per-stack applies. Runs alone too:

    .venv/bin/python bench/rollout_bench.py [--clusters 50] [--max-parallel 8] [--json FILE]

One simulated fleet (``fleetform.simulator.fleet``: one process, one socket per cluster) of ``clusters + 1``
clusters, the stand-in provider, real Terraform:

1. *alone*: a project with one cluster (the extra one) and the three seed applications: ``fleetform plan``,
   then ``fleetform rollout`` (one cluster: its three stacks one after another, nothing else running). Each
   stack's apply time is what applying that application costs on a quiet machine.
2. *fleet*: a project with ``clusters`` clusters (one labelled canary) and the same applications, waves
   ``canary`` (the canary cluster), ``early`` (10% of the rest) and the implicit ``rest``, ``max_parallel``
   stacks at once: ``fleetform plan --parallel 4`` (timed), then ``fleetform rollout`` (timed: its wall time).

Figures: the rollout's wall time; the sum of its per-stack applies as measured inside the rollout (each stack's
``terraform init`` + ``apply``, slowed by the others running beside it); the serial estimate
``clusters × (sum of the alone applies)`` (what applying the stacks one after another would take); the
plan's wall time; stacks, VMs and resources. The load average before and after says how busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from support.fleetbox import FleetBox  # noqa: E402
from support.sandbox import SEED_IMAGES, install_mirror  # noqa: E402

from fleetform.simulator.testing import run_fleet_in_thread  # noqa: E402

_RESOURCES = re.compile(r"Resources: (\d+) added, (\d+) changed, (\d+) destroyed")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _project(root: Path, fleet: Any, cli_config: Path, clusters: list[str], **options: Any) -> FleetBox:
    site = yaml.safe_load((ROOT / "fleetform.yaml").read_text())
    box = FleetBox(
        root,
        fleet,
        cli_config,
        images={url: url.rsplit("/", 1)[-1] for url in SEED_IMAGES},
        site_extra={"networks": site["networks"], "templates": site["templates"]},
        clusters=clusters,
        **options,
    )
    for path in sorted((ROOT / "manifests").glob("*.yaml")):
        shutil.copy(path, box.root / "manifests" / path.name)
    box.commit("seed applications")
    return box


def _timed(box: FleetBox, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = box.fleetform(*args)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fleetform {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return seconds, done.stdout


def _stacks(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [stack for wave in summary["waves"] for stack in wave["stacks"]]


def rollout_bench(work: Path, *, clusters: int = 50, max_parallel: int = 8) -> dict[str, Any]:
    """Measure as the module docstring says; the raw figures."""
    site = yaml.safe_load((ROOT / "fleetform.yaml").read_text())
    vlans = {vlan: name for name, vlan in site["networks"].items()}
    cli_config = install_mirror(work / "provider")
    load_before = os.getloadavg()
    started = time.perf_counter()
    log(f"rollout: a fleet of {clusters + 1} simulated clusters")
    with run_fleet_in_thread(
        clusters + 1, templates=site["templates"], vlans=vlans, guest_agent=True, data_dir=work / "fleet"
    ) as fleet:
        names = [c.name for c in fleet]
        fleet_names, solo = names[:clusters], names[clusters]

        alone = _project(work / "alone", fleet, cli_config, [solo])
        _timed(alone, "plan", "--parallel", "1")
        _, text = _timed(alone, "rollout", "--format", "json")
        alone_seconds = {s["application"]: s["seconds"] for s in _stacks(json.loads(text))}
        log(f"  alone: {', '.join(f'{app} {sec:.1f} s' for app, sec in sorted(alone_seconds.items()))}")

        box = _project(
            work / "fleet",
            fleet,
            cli_config,
            fleet_names,
            labels={fleet_names[0]: ["canary"]},
            rollout={
                "max_parallel": max_parallel,
                "failure_budget": 0,
                "health": {"timeout": "2m", "interval": "1s"},
                "waves": [{"name": "canary", "labels": ["canary"]}, {"name": "early", "share": "10%"}],
            },
        )
        plan_seconds, _ = _timed(box, "plan", "--parallel", "4")
        log(f"  plan of the fleet: {plan_seconds:.1f} s")
        rollout_seconds, text = _timed(box, "rollout", "--format", "json")
        summary = json.loads(text)
        stacks = _stacks(summary)
        log(f"  rollout of the fleet: {rollout_seconds:.1f} s")
    added = sum(int(m[1]) for s in stacks if (m := _RESOURCES.search(s["apply"] or "")))
    vms = sum(
        int(re.match(r"(\d+) VM", s["message"]).group(1)) for s in stacks if re.match(r"\d+ VM", s["message"])
    )
    return {
        "clusters": clusters,
        "max_parallel": max_parallel,
        "stacks": len(stacks),
        "vms": vms,
        "resources": added,
        "waves": [
            {
                "name": w["name"],
                "stacks": len(w["stacks"]),
                "state": w["state"],
                "clusters": len(w["clusters"]),
            }
            for w in summary["waves"]
        ],
        "outcome": summary["outcome"],
        "plan_seconds": plan_seconds,
        "rollout_seconds": rollout_seconds,
        "sum_in_rollout": sum(s["seconds"] for s in stacks),
        "alone": alone_seconds,
        "serial_estimate": clusters * sum(alone_seconds.values()),
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "section_seconds": time.perf_counter() - started,
    }


def render(figures: dict[str, Any]) -> list[str]:
    """The section of results.md."""
    if not figures:
        return []
    f = figures
    serial = f["serial_estimate"]
    wave_text = ", ".join(
        f"{w['name']} ({w['stacks']} stacks on {w['clusters']} cluster{'s' if w['clusters'] != 1 else ''})"
        for w in f["waves"]
    )
    return [
        f"## A {f['clusters']}-cluster rollout",
        "",
        f"The seed applications on {f['clusters']} simulated clusters ({f['stacks']} stacks, {f['vms']:,} VMs, "
        f"{f['resources']:,} resources created), waves {wave_text}; at most {f['max_parallel']} stacks at once; "
        f"outcome: {f['outcome']}. Load average before {f['load_before'][0]:.1f}, after {f['load_after'][0]:.1f}.",
        "",
        "| figure | wall time |",
        "|---|---|",
        f"| `fleetform rollout` of the fleet (waves, health gates) | **{f['rollout_seconds']:.0f} s** |",
        f"| sum of its per-stack applies, one after another (estimate: {f['clusters']} × the applications applied "
        f"alone, {', '.join(f'{a} {s:.1f} s' for a, s in sorted(f['alone'].items()))}) | {serial:.0f} s "
        f"(rollout = **{f['rollout_seconds'] / serial:.2f}×**) |",
        f"| sum of the per-stack applies as measured inside the rollout (each slowed by the others) | "
        f"{f['sum_in_rollout']:.0f} s |",
        f"| `fleetform plan --parallel 4` of the fleet (before the rollout) | {f['plan_seconds']:.0f} s |",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--max-parallel", type=int, default=8)
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="fleetform-rollout-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        figures = rollout_bench(work, clusters=args.clusters, max_parallel=args.max_parallel)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    print("\n".join(render(figures)))


if __name__ == "__main__":
    main()
