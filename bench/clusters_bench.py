"""Synth and plan time of the three seed applications on 20 clusters (60 stacks), against the simulator.

    .venv/bin/python bench/clusters_bench.py [--clusters 20] [--parallel 4]

Every cluster points at one simulator (the plans create everything, so they only read the templates); each
stack still has its own provider configuration, credentials variables and state. Prints the wall times of
`fleetform synth` and `fleetform plan` (init + plan + show for every stack).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.sandbox import TEMPLATES, Sandbox, install_mirror  # noqa: E402

from fleetform.simulator.testing import run_in_thread  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fleetform-clusters-"))
    try:
        cli_config = install_mirror(work / "provider")
        with run_in_thread(templates=TEMPLATES, data_dir=work / "simulator") as sim:
            names = [f"site-{n:02d}" for n in range(1, args.clusters + 1)]
            box = Sandbox(
                work / "project",
                sim,
                cli_config,
                site_extra={"clusters": [{"name": n, "host": sim.url} for n in names]},
            )
            box.copy_seed()
            credentials = {}
            for name in names:
                suffix = name.replace("-", "_")
                credentials[f"TF_VAR_hc_username_{suffix}"] = sim.username
                credentials[f"TF_VAR_hc_password_{suffix}"] = sim.password
            env = box.env(**credentials)
            fleetform = str(ROOT / ".venv" / "bin" / "fleetform")
            common = ["-m", "manifests", "-c", "fleetform.yaml"]
            started = time.perf_counter()
            subprocess.run(
                [fleetform, "synth", *common], cwd=box.root, env=env, check=True, capture_output=True
            )
            synth = time.perf_counter() - started
            stacks = len(list((box.root / "cdktf.out" / "stacks").iterdir()))
            started = time.perf_counter()
            done = subprocess.run(
                [fleetform, "plan", *common, "--parallel", str(args.parallel)],
                cwd=box.root,
                env=env,
                capture_output=True,
                text=True,
            )
            plan = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(done.stderr[-3000:])
            index = yaml.safe_load((box.root / "plans" / "manifest.json").read_text())
            planned = sum(1 for e in index["stacks"].values() if e["status"] == "planned")
            print(f"{args.clusters} clusters x 3 seed apps = {stacks} stacks ({planned} planned)")
            print(f"fleetform synth: {synth:.1f} s")
            print(
                f"fleetform plan --parallel {args.parallel} (synth + init + plan + show per stack): {plan:.1f} s"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
