"""A Terraform working directory that drives the stand-in provider against a simulator, for provider tests.

    box = Workspace(tmp_path, sim, cli_config)
    box.write(resource={"hypercore_vm": {"web": VM}})
    box.apply()
    assert box.values("hypercore_vm.web")["vcpu"] == 2

Configurations are Terraform JSON written directly (no manifests, no cdktf), so a test says exactly what the
provider gets. Terraform runs with the stand-in selected by ``TF_CLI_CONFIG_FILE``, the simulator's
credentials in ``HC_*`` and ``-parallelism=1``, as the provider requires.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.simulator.testing import RunningSimulator

PROVIDER = {
    "terraform": {
        "required_providers": {"hypercore": {"source": "ScaleComputing/hypercore", "version": "1.4.0"}}
    },
    "provider": {"hypercore": {}},
}


def scratch_vm(name: str, **values: Any) -> dict[str, Any]:
    """A ``hypercore_vm`` created from scratch, with every argument the provider effectively needs."""
    return {
        "name": name,
        "description": "",
        "tags": [""],
        "vcpu": 1,
        "memory": 512,
        "affinity_strategy": {},
        **values,
    }


@dataclass
class Workspace:
    """One Terraform root module and the simulator it deploys to."""

    root: Path
    simulator: RunningSimulator
    cli_config: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, **blocks: Any) -> None:
        """``main.tf.json``: the provider and the given top-level blocks (``resource=``, ``data=``, ``import=``)."""
        (self.root / "main.tf.json").write_text(json.dumps({**PROVIDER, **blocks}, indent=1))

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            **self.simulator.env(),
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "FLEETFORM_STANDIN_PYTHON": sys.executable,
            "HC_POLL_INTERVAL": "0.01",
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            **self.extra_env,
            **extra,
        }

    def terraform(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        """``terraform ARGS`` here (``init`` first when needed); ``check``: fail the test on a non-zero exit."""
        if args[0] != "init" and not (self.root / ".terraform").is_dir():
            self.terraform("init", "-input=false", "-no-color")
        result = subprocess.run(
            ["terraform", *args],
            cwd=self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def apply(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.terraform(
            "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=1", *args, check=check
        )

    def plan_exit(self, *args: str) -> int:
        """``terraform plan -detailed-exitcode``: 0 no changes, 1 error, 2 changes."""
        return self.terraform(
            "plan", "-detailed-exitcode", "-input=false", "-no-color", *args, check=False
        ).returncode

    def state(self) -> dict[str, dict[str, Any]]:
        """The state's resources by address (``terraform show -json``), each with its ``values``."""
        shown = json.loads(self.terraform("show", "-json").stdout)
        found: dict[str, dict[str, Any]] = {}
        modules = [shown.get("values", {}).get("root_module", {})]
        for module in modules:
            for resource in module.get("resources", []):
                found[resource["address"]] = resource
        return found

    def values(self, address: str) -> dict[str, Any]:
        values: dict[str, Any] = self.state()[address]["values"]
        return values


def words(result: subprocess.CompletedProcess[str]) -> str:
    """Terraform's output with its line wrapping undone, for matching messages."""
    return " ".join((result.stdout + result.stderr).split())
