"""A fleetform project wired to a simulated fleet (one simulator process, one cluster per socket), for rollout
tests with real Terraform and the stand-in provider.

    with run_fleet_in_thread(20, templates=TEMPLATES, vlans=VLANS) as fleet:
        box = FleetBox(tmp_path / "project", fleet, cli_config, labels={"cluster-01": ["canary"]},
                       rollout={"waves": [{"name": "canary", "labels": ["canary"]}]})
        box.write_manifest("shop", text)
        box.commit("v1")
        assert box.fleetform("plan").returncode == 0
        assert box.fleetform("rollout").returncode == 0

The project is a git repository (``status`` shows revisions as commits); credentials reach Terraform as
``TF_VAR_hc_username_<cluster>``/``TF_VAR_hc_password_<cluster>`` and fleetform's REST checks read the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningCluster, RunningFleet
from fleetform.synth.translate import credential_variables
from fleetform.terraform.embedded import _write_raw_image

ROOT = Path(__file__).resolve().parents[2]
FLEETFORM = str(ROOT / ".venv" / "bin" / "fleetform")
TEMPLATES = {"bios": "fleetform-template-bios", "uefi": "fleetform-template-uefi"}
NETWORKS = {"lan": 10, "web-net": 20}
VLANS = {vlan: name for name, vlan in NETWORKS.items()}
IMAGE_BYTES = 1024 * 1024


@dataclass
class FleetBox:
    """A project directory, the fleet it deploys to, and the environment for fleetform and Terraform."""

    root: Path
    fleet: RunningFleet
    cli_config: Path
    labels: Mapping[str, Sequence[str]] = field(default_factory=dict)
    rollout: Mapping[str, Any] | None = None
    images: Mapping[str, str] = field(default_factory=dict)
    """Asset URL -> file name under images/ (created, small, unless the name starts with ``missing-``)."""
    site_extra: Mapping[str, Any] = field(default_factory=dict)
    clusters: Sequence[str] | None = None
    """The fleet's clusters this project deploys to (default: all of them)."""

    def __post_init__(self) -> None:
        (self.root / "manifests").mkdir(parents=True, exist_ok=True)
        (self.root / "images").mkdir(exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "user.name", "fleetform tests")
        (self.root / ".gitignore").write_text("cdktf.out/\nstate/\nplans/\n.fleetform/\n")
        self.write_site()

    @property
    def config(self) -> Path:
        return self.root / "fleetform.yaml"

    @property
    def members(self) -> list[RunningCluster]:
        """The clusters of this project."""
        return [c for c in self.fleet if self.clusters is None or c.name in self.clusters]

    def write_site(self, **changes: Any) -> None:
        for name in self.images.values():
            image = self.root / "images" / name
            if not name.startswith("missing-") and not image.exists():
                _write_raw_image(image, IMAGE_BYTES)
        site: dict[str, Any] = {
            "networks": dict(NETWORKS),
            "templates": dict(TEMPLATES),
            "images": {url: f"images/{name}" for url, name in self.images.items()},
            "state": {"backend": "local", "dir": "state"},
            "clusters": [
                {
                    "name": c.name,
                    "host": c.url,
                    **({"labels": list(self.labels[c.name])} if c.name in self.labels else {}),
                }
                for c in self.members
            ],
            **({"rollout": dict(self.rollout)} if self.rollout is not None else {}),
            **self.site_extra,
            **changes,
        }
        self.config.write_text(yaml.safe_dump(site, sort_keys=False))

    def write_manifest(self, name: str, text: str) -> Path:
        path = self.root / "manifests" / f"{name}.yaml"
        path.write_text(text)
        return path

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        """Commit everything; the new commit's hash."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("HC_", "TF_VAR_hc_")) and key != "PG_CONN_STR"
        }
        for cluster in self.members:
            username, password = credential_variables(cluster.name)
            env[f"TF_VAR_{username}"] = cluster.username
            env[f"TF_VAR_{password}"] = cluster.password
        env.update(
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            FLEETFORM_STANDIN_PYTHON=sys.executable,
            HC_POLL_INTERVAL="0.01",
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            COLUMNS="200",
        )
        env.update(extra)
        return env

    def fleetform(self, *args: str, check: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
        """Run the fleetform CLI in the project."""
        done = subprocess.run(
            [FLEETFORM, *args],
            cwd=self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"fleetform {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """Start the fleetform CLI in the background (for interrupts)."""
        return subprocess.Popen(
            [FLEETFORM, *args],
            cwd=self.root,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def status(self, *args: str) -> list[dict[str, Any]]:
        done = self.fleetform("status", "--format", "json", *args, check=True)
        rows: list[dict[str, Any]] = json.loads(done.stdout)["stacks"]
        return rows

    def vms(self, cluster: RunningCluster) -> dict[str, dict[str, Any]]:
        """The VMs of one cluster by name, as the REST API returns them (templates left out)."""
        with HypercoreClient(cluster.url, cluster.username, cluster.password) as client:
            return {
                vm["name"]: vm
                for vm in client.get("/rest/v1/VirDomain")
                if not vm["name"].startswith("fleetform-template-")
            }
