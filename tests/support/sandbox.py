"""A throwaway fleetform project wired to a simulator, for end-to-end tests with real Terraform.

    with run_in_thread(templates=TEMPLATES) as sim:
        box = Sandbox(tmp_path, sim, mirror)        # mirror: the stand-in installed once per session
        box.write_manifest("shop", text)
        box.synth()
        box.apply("shop")
        assert box.plan_exit("shop") == 0

The project has its own ``fleetform.yaml`` (the repository's networks and templates, small local images
mirrored for every seed image URL, state under the sandbox) and its own ``cdktf.out``; Terraform runs with
the stand-in provider selected by ``TF_CLI_CONFIG_FILE`` and the simulator's credentials in ``HC_*``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleetform.simulator.testing import RunningSimulator
from fleetform.standin_provider.install import install
from fleetform.synth.synthesize import SynthResult, synthesize
from fleetform.terraform.embedded import DEMO_IMAGE_BYTES, _write_raw_image

ROOT = Path(__file__).resolve().parents[2]
FLEETFORM = str(ROOT / ".venv" / "bin" / "fleetform")
PROJECT = ("-m", "manifests", "-c", "fleetform.yaml")
"""The options that point a fleetform command at the sandbox's manifests and site file."""
TEMPLATES = {
    "bios": "fleetform-template-bios",
    "uefi": "fleetform-template-uefi",
    "tpm": "fleetform-template-tpm",
}
SEED_IMAGES = [
    "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-web.img",
    "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-app.img",
    "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-db.img",
    "https://storage.googleapis.com/demo-bucket/windows-server-2022.img",
    "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-server.img",
    "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-k8s.img",
]


def install_mirror(directory: Path) -> Path:
    """Install the stand-in provider into ``directory``; the Terraform CLI config file to use."""
    config = directory / "terraformrc"
    install(directory / "mirror", config)
    return config


@dataclass
class Sandbox:
    """A project directory, a simulator to deploy to, and the Terraform environment for both."""

    root: Path
    simulator: RunningSimulator
    cli_config: Path
    images: list[str] = field(default_factory=lambda: list(SEED_IMAGES))
    site_extra: dict[str, Any] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.manifests.mkdir(parents=True, exist_ok=True)
        (self.root / "images").mkdir(exist_ok=True)
        self.write_site()

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    @property
    def config(self) -> Path:
        return self.root / "fleetform.yaml"

    @property
    def outdir(self) -> Path:
        return self.root / "cdktf.out"

    def write_site(self, **changes: Any) -> None:
        """``fleetform.yaml``: the repository's, with the image mirror and ``changes`` on top."""
        site = yaml.safe_load((ROOT / "fleetform.yaml").read_text())
        mirror = {}
        for url in self.images:
            image = self.root / "images" / url.rsplit("/", 1)[-1]
            if not image.exists():
                _write_raw_image(image, DEMO_IMAGE_BYTES)
            mirror[url] = f"images/{image.name}"
        site["images"] = mirror
        site.update(self.site_extra)
        site.update(changes)
        self.config.write_text(yaml.safe_dump(site, sort_keys=False))

    def write_manifest(self, name: str, text: str) -> Path:
        path = self.manifests / f"{name}.yaml"
        path.write_text(text)
        return path

    def copy_seed(self, *names: str) -> None:
        """Copy seed manifests from the repository (all three without names)."""
        for path in sorted((ROOT / "manifests").glob("*.yaml")):
            if not names or path.stem in names:
                shutil.copy(path, self.manifests / path.name)

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

    def synth(self, **options: Any) -> SynthResult:
        return synthesize([self.manifests], config_path=self.config, outdir=self.outdir, **options)

    def stack_dir(self, stack: str) -> Path:
        return self.outdir / "stacks" / stack

    def terraform(
        self, stack: str, *args: str, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``terraform ARGS`` in a stack's directory (``init`` first when needed)."""
        directory = self.stack_dir(stack)
        if args[0] != "init" and not (directory / ".terraform").is_dir():
            self.terraform(stack, "init", "-input=false", "-no-color")
        result = subprocess.run(
            ["terraform", *args],
            cwd=directory,
            env=self.env(**env),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} in {stack} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def apply(
        self, stack: str, *args: str, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``terraform apply`` as production runs it: ``-parallelism=1`` (HyperCore answers HTTP 500 to a
        second task on a busy VM) unless ``args`` say otherwise."""
        if not any(arg.startswith("-parallelism") for arg in args):
            args = ("-parallelism=1", *args)
        return self.terraform(
            stack, "apply", "-auto-approve", "-input=false", "-no-color", *args, check=check, **env
        )

    def plan_exit(self, stack: str, *args: str) -> int:
        """The exit code of ``terraform plan -detailed-exitcode`` (0: no changes, 2: changes)."""
        result = self.terraform(
            stack, "plan", "-detailed-exitcode", "-input=false", "-no-color", *args, check=False
        )
        if result.returncode not in (0, 2):
            raise AssertionError(f"terraform plan in {stack} failed:\n{result.stdout}\n{result.stderr}")
        return result.returncode

    def plan_json(self, stack: str, *args: str) -> dict[str, Any]:
        """A saved plan of the stack, as ``terraform show -json`` gives it."""
        self.terraform(stack, "plan", "-input=false", "-no-color", "-out=tfplan", *args)
        shown = self.terraform(stack, "show", "-json", "tfplan")
        data: dict[str, Any] = json.loads(shown.stdout)
        return data

    def simulator_vms(self) -> list[dict[str, Any]]:
        """Every VM on the simulator, as the REST API returns it (templates included)."""
        from fleetform.hypercore import HypercoreClient

        with HypercoreClient(self.simulator.url, self.simulator.username, self.simulator.password) as client:
            return client.get("/rest/v1/VirDomain")

    def fleetform(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the fleetform CLI in the project (200 columns, so tables are not cut); never raises."""
        return subprocess.run(
            [FLEETFORM, *args],
            cwd=self.root,
            env=self.env(COLUMNS="200"),
            capture_output=True,
            text=True,
            check=False,
        )

    def vms(self) -> dict[str, dict[str, Any]]:
        """Every VM on the simulator by name (templates included)."""
        return {vm["name"]: vm for vm in self.simulator_vms()}


def changes(plan: dict[str, Any]) -> dict[str, list[str]]:
    """A plan's resource changes: address -> actions (no-ops left out)."""
    return {
        rc["address"]: rc["change"]["actions"]
        for rc in plan.get("resource_changes", [])
        if rc["change"]["actions"] != ["no-op"]
    }
