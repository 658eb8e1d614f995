"""Shared by the review tests: the fleetform CLI run in a sandbox project, and VMs made through the REST API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import Result
from support.sandbox import Sandbox
from typer.testing import CliRunner

from fleetform.hypercore import HypercoreClient

GiB = 1024**3


def cli(box: Sandbox, *args: str, **env: str) -> Result:
    """``fleetform ARGS`` against the sandbox's simulator, with the sandbox's config and manifests where a
    command takes them."""
    from fleetform.cli import app

    return CliRunner().invoke(app, list(args), env=box.env(**env), catch_exceptions=False)


def plan(box: Sandbox, out: str, *args: str, **env: str) -> Result:
    """``fleetform plan`` of the sandbox into ``box.root / out``."""
    return cli(
        box,
        "plan",
        "--manifests",
        str(box.manifests),
        "--config",
        str(box.config),
        "--synth-dir",
        str(box.outdir),
        "--out",
        str(box.root / out),
        *args,
        **env,
    )


@dataclass
class Reviewed:
    """A plan directory and its review in both formats."""

    directory: Path
    plan_exit: int
    plan_output: str
    markdown: str
    data: dict[str, Any]
    review_exit: int

    def stack(self, name: str) -> dict[str, Any]:
        return next(s for s in self.data["stacks"] if s["name"] == name)

    def index(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.directory / "manifest.json").read_text())
        return result


def plan_and_review(box: Sandbox, out: str, *args: str, max_chars: int = 60000, **env: str) -> Reviewed:
    planned = plan(box, out, *args, **env)
    directory = box.root / out
    markdown = cli(box, "review", str(directory), "--max-chars", str(max_chars))
    as_json = cli(box, "review", str(directory), "--format", "json")
    assert markdown.exit_code == as_json.exit_code, (markdown.output, as_json.output)
    data = json.loads(as_json.stdout)
    return Reviewed(directory, planned.exit_code, planned.output, markdown.stdout, data, markdown.exit_code)


def create_vm(box: Sandbox, name: str, *, machine: str = "uefi", running: bool = False) -> str:
    """A VM made straight through the REST API (as the HyperCore UI would), without disks or NICs."""
    body = {
        "dom": {
            "name": name,
            "mem": 2 * GiB,
            "numVCPU": 2,
            # The firmware devices a client sends for the machine type (HyperCore adds none by itself).
            "blockDevs": [
                {"type": kind, "capacity": 540672}
                for kind in {"uefi": ["NVRAM"], "tpm": ["NVRAM", "VTPM"]}.get(machine, [])
            ],
            "netDevs": [],
            "bootDevices": [],
            "state": "RUNNING" if running else "SHUTOFF",
        },
        "options": {"machineTypeKeyword": machine},
    }
    sim = box.simulator
    with HypercoreClient(sim.url, sim.username, sim.password) as client:
        task = client.post("/rest/v1/VirDomain", body)
        client.wait_task(task, poll_interval=0.01)
    return str(task.created_uuid)
