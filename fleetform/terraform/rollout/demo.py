"""The fleet demo (``make demo-fleet``): the seed applications rolled out to a small simulated fleet in three
waves.

Everything lives under ``.fleetform/fleet/`` (git-ignored): the fleet simulator's data, ``fleet.json`` (each
cluster's URL and login, owner-only), ``simulator.json`` (its pid) and ``simulator.log``; and ``project/``, a
fleetform project of its own: ``fleetform.yaml`` (the repository's networks and templates, one cluster per
simulated cluster with ``labels``, a ``rollout:`` of three waves, small local images mirrored for the seed's
image URLs, local state) and ``manifests/`` (copies of the repository's). The demo runs fleetform's own
commands there: ``plan``, then ``rollout`` (with its live table), then ``status``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fleetform.errors import ApiError
from fleetform.hypercore import HypercoreClient
from fleetform.manifest.loader import manifest_files
from fleetform.synth.translate import credential_variables
from fleetform.terraform.embedded import (
    DEMO_IMAGE_BYTES,
    EmbeddedError,
    _alive,
    _write_raw_image,
    asset_urls,
    install_provider,
)
from fleetform.terraform.embedded import Paths as EmbeddedPaths

START_TIMEOUT = 60.0
DEFAULT_CLUSTERS = 6


@dataclass(frozen=True)
class FleetPaths:
    """Where the fleet demo keeps its files, under a project directory."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / ".fleetform" / "fleet"

    @property
    def data(self) -> Path:
        return self.home / "simulator"

    @property
    def fleet_file(self) -> Path:
        return self.home / "fleet.json"

    @property
    def info(self) -> Path:
        return self.home / "simulator.json"

    @property
    def log(self) -> Path:
        return self.home / "simulator.log"

    @property
    def project(self) -> Path:
        return self.home / "project"


def cluster_names(count: int) -> list[str]:
    return [f"store-{n:02d}" for n in range(1, count + 1)]


def site(source: Path, clusters: list[dict[str, Any]], images: Mapping[str, str]) -> dict[str, Any]:
    """The demo project's fleetform.yaml: ``source``'s networks and templates, the clusters, three waves."""
    try:
        base: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise EmbeddedError(f"cannot read the site configuration {source}: {exc}") from None
    return {
        "networks": base.get("networks") or {},
        "templates": base.get("templates") or {},
        "images": dict(images),
        "state": {"backend": "local", "dir": "state"},
        "clusters": clusters,
        "rollout": {
            "max_parallel": 4,
            "failure_budget": 0,
            "health": {"timeout": "1m", "interval": "1s"},
            "waves": [
                {"name": "canary", "labels": ["canary"]},
                {"name": "early", "share": "40%"},
            ],
        },
    }


def start_fleet(paths: FleetPaths, count: int, source: Path) -> tuple[list[dict[str, Any]], bool]:
    """The simulated fleet (started in the background unless it runs already); its clusters from
    ``fleet.json``, and True when it was started now."""
    running = read_fleet(paths)
    if running is not None and len(running) == count:
        return running, False
    stop_fleet(paths)
    paths.home.mkdir(parents=True, exist_ok=True)
    bootstrap = paths.home / "clusters.yaml"
    names = cluster_names(count)
    bootstrap.write_text(
        yaml.safe_dump(site(source, [{"name": n} for n in names], {}), sort_keys=False), encoding="utf-8"
    )
    paths.fleet_file.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "fleetform.simulator.fleet",
        "--site",
        str(bootstrap),
        "--data",
        str(paths.data),
        "--fleet-file",
        str(paths.fleet_file),
        "--guest-agent",
    ]
    with paths.log.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedError(
                f"the simulated fleet exited at start (code {process.returncode}); see {paths.log}"
            )
        found = read_fleet(paths, pid=process.pid)
        if found is not None:
            paths.info.write_text(json.dumps({"pid": process.pid}), encoding="utf-8")
            return found, True
        time.sleep(0.2)
    process.terminate()
    raise EmbeddedError(f"the simulated fleet did not answer within {START_TIMEOUT:g} s; see {paths.log}")


def read_fleet(paths: FleetPaths, pid: int | None = None) -> list[dict[str, Any]] | None:
    """The clusters of the running fleet, if it runs and answers."""
    try:
        if pid is None:
            pid = int(json.loads(paths.info.read_text(encoding="utf-8"))["pid"])
        clusters: list[dict[str, Any]] = json.loads(paths.fleet_file.read_text(encoding="utf-8"))["clusters"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid) or not clusters:
        return None
    first = clusters[0]
    try:
        with HypercoreClient(first["url"], first["username"], first["password"], retries=0) as client:
            client.list_nodes()
    except ApiError:
        return None
    return clusters


def stop_fleet(paths: FleetPaths) -> bool:
    """Stop the fleet started by the demo; False when none was running."""
    try:
        pid = int(json.loads(paths.info.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    paths.info.unlink(missing_ok=True)
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def prepare_project(root: Path, paths: FleetPaths, clusters: list[dict[str, Any]]) -> dict[str, str]:
    """Write the demo project (site, manifests, images) for ``clusters``; the environment to run fleetform in
    it (credentials as Terraform variables, the stand-in provider)."""
    project = paths.project
    manifests = project / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    files, _ = manifest_files([root / "manifests"])
    docs = []
    for file in files:
        shutil.copy2(file, manifests / file.name)
        docs.append(yaml.safe_load(file.read_text(encoding="utf-8")))
    images_dir = project / "images"
    images_dir.mkdir(exist_ok=True)
    mirror = {}
    for url in sorted(set(asset_urls(docs))):
        image = images_dir / url.rstrip("/").rsplit("/", 1)[-1]
        if not image.is_file() or image.stat().st_size != DEMO_IMAGE_BYTES:
            _write_raw_image(image, DEMO_IMAGE_BYTES)
        mirror[url] = f"images/{image.name}"
    entries = [
        {"name": c["name"], "host": c["url"], **({"labels": ["canary"]} if n == 0 else {})}
        for n, c in enumerate(clusters)
    ]
    text = "# Written by `fleetform demo-fleet` for the simulated fleet; rewritten on every run.\n"
    text += yaml.safe_dump(site(root / "fleetform.yaml", entries, mirror), sort_keys=False)
    (project / "fleetform.yaml").write_text(text, encoding="utf-8")
    embedded = EmbeddedPaths(root)
    install_provider(embedded)
    env = {
        "TF_CLI_CONFIG_FILE": str(embedded.cli_config.resolve()),
        "FLEETFORM_STANDIN_PYTHON": sys.executable,
        "HC_POLL_INTERVAL": "0.02",
    }
    for cluster in clusters:
        username, password = credential_variables(cluster["name"])
        env[f"TF_VAR_{username}"] = cluster["username"]
        env[f"TF_VAR_{password}"] = cluster["password"]
    return env
