"""How long ``fleetform import`` takes for N VMs on the simulator (and, with ``--plan``, synth and plan).

    .venv/bin/python bench/import_bench.py [--vms 100] [--plan] [--keep DIR]

Starts the embedded simulator in this process, creates N VMs straight through its REST API (each with a boot
disk, a data disk, two NICs and a boot order, half running, a third BIOS, a third UEFI, a third UEFI+vTPM),
then times ``fleetform import`` run as a separate process (``.venv/bin/fleetform import ...``: Python start-up,
login, listing, one read per VM, conversion, the manifest checked by fleetform's loader, both files written).
``--plan`` also times ``fleetform synth`` of the new stack and ``terraform init`` + ``plan`` with the stand-in
provider, and checks that the plan imports everything and changes nothing. Prints one line per phase.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fleetform.hypercore import HypercoreClient  # noqa: E402
from fleetform.simulator.testing import run_in_thread  # noqa: E402

GiB = 1024**3
TEMPLATES = {
    "bios": "fleetform-template-bios",
    "uefi": "fleetform-template-uefi",
    "tpm": "fleetform-template-tpm",
}
MACHINES = ("bios", "uefi", "tpm")
VLANS = (10, 20, 30, 40)
NETWORKS = {10: "public-net", 20: "web-net", 30: "app-net", 40: "db-net"}  # as in fleetform.yaml


def create_vms(client: HypercoreClient, count: int) -> None:
    for index in range(count):
        first, second = VLANS[index % 4], VLANS[(index + 1) % 4]
        body = {
            "dom": {
                "name": f"bench-{index:03d}",
                "description": f"bench VM {index}",
                "tags": "bench,imported" if index % 2 else "bench",
                "mem": (2 + index % 3) * GiB,
                "numVCPU": 1 + index % 4,
                "blockDevs": [
                    {"uuid": "os", "type": "VIRTIO_DISK", "capacity": 20 * GiB},
                    {"uuid": "data", "type": "VIRTIO_DISK", "capacity": 50 * 10**9},
                ],
                "netDevs": [
                    {"uuid": "a", "type": "VIRTIO", "vlan": first},
                    {"uuid": "b", "type": "VIRTIO", "vlan": second},
                ],
                # The boot disk, then the NICs by network name: the boot order a manifest can express.
                "bootDevices": [
                    "os",
                    *sorted(("a", "b"), key=lambda n: NETWORKS[first if n == "a" else second]),
                ],
                "state": "RUNNING" if index % 2 else "SHUTOFF",
            },
            "options": {"machineTypeKeyword": MACHINES[index % 3]},
        }
        client.wait_task(client.post("/rest/v1/VirDomain", body), poll_interval=0.005)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--plan", action="store_true", help="also synth and terraform plan the new stack")
    parser.add_argument("--keep", type=Path, help="project directory to keep (default: a temporary one)")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="fleetform-import-bench-"))
    project = root / "project"
    if project.exists():
        shutil.rmtree(project)
    (project / "manifests").mkdir(parents=True)
    site = yaml.safe_load((ROOT / "fleetform.yaml").read_text())
    (project / "fleetform.yaml").write_text(yaml.safe_dump(site, sort_keys=False))
    fleetform = str(ROOT / ".venv" / "bin" / "fleetform")

    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        started = time.perf_counter()
        with HypercoreClient(sim.url, sim.username, sim.password) as client:
            create_vms(client, args.vms)
        print(f"created {args.vms} VMs through the REST API in {time.perf_counter() - started:.2f} s")

        env = {**os.environ, **sim.env()}
        command = [fleetform, "import", "--app", "bench", "--match", "bench-*", "--config", "fleetform.yaml"]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"fleetform import failed:\n{done.stdout}\n{done.stderr}")
        imports = json.loads((project / "manifests" / "bench.imports.json").read_text())["imports"]
        vms = sum(1 for address in imports if address.startswith("hypercore_vm."))
        print(f"fleetform import of {vms} VMs ({len(imports)} import IDs): {seconds:.2f} s wall clock")
        print(f"  its own report: {done.stderr.strip().splitlines()[-1]}")

        if args.plan:
            plan(project, env, len(imports))
    print(f"project: {project}")


def plan(project: Path, env: dict[str, str], expected: int) -> None:
    from fleetform.standin_provider.install import install

    cli_config = project.parent / "terraformrc"
    install(project.parent / "mirror", cli_config)
    env = {**env, "TF_CLI_CONFIG_FILE": str(cli_config), "FLEETFORM_STANDIN_PYTHON": sys.executable}
    env |= {"HC_POLL_INTERVAL": "0.01", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    fleetform = str(ROOT / ".venv" / "bin" / "fleetform")
    started = time.perf_counter()
    subprocess.run([fleetform, "synth", "--config", "fleetform.yaml"], cwd=project, env=env, check=True)
    print(f"fleetform synth: {time.perf_counter() - started:.2f} s")
    stack = project / "cdktf.out" / "stacks" / "bench"
    started = time.perf_counter()
    subprocess.run(
        ["terraform", "init", "-input=false", "-no-color"],
        cwd=stack,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color", "-out=tfplan"],
        cwd=stack,
        env=env,
        check=True,
        capture_output=True,
    )
    shown = subprocess.run(
        ["terraform", "show", "-json", "tfplan"],
        cwd=stack,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    changes = json.loads(shown.stdout)["resource_changes"]
    importing = sum(1 for rc in changes if rc["change"].get("importing"))
    other = [rc["address"] for rc in changes if rc["change"]["actions"] != ["no-op"]]
    print(
        f"terraform init + plan: {time.perf_counter() - started:.2f} s; {importing} to import (expected {expected}), "
        f"{len(other)} to add, change or destroy"
    )


if __name__ == "__main__":
    main()
