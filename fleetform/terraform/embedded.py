"""The embedded HyperCore: the simulator in the background, the stand-in provider installed, the demo site.

Everything lives under ``.fleetform/`` in the project (git-ignored):

- ``simulator/``: the simulator's data (SQLite, uploaded images); ``simulator.json``: its pid, URL and the
  credentials it was started with; ``simulator.log``: its output.
- ``mirror/`` and ``terraformrc``: the stand-in installed as ``registry.terraform.io/scalecomputing/hypercore``
  in a filesystem mirror, and the Terraform CLI configuration that selects it (``TF_CLI_CONFIG_FILE``).
- ``demo/``: the demo's site configuration (``fleetform.yaml`` plus an image mirror of small local images
  standing in for the seed's unreachable image URLs) and its Terraform state (``demo/state/``).
- ``cdktf.out/``: the simulator mode's synth output and Terraform working directories (``.terraform`` with the
  stand-in). Production runs use the project's ``cdktf.out``, a separate state and the registry provider, so
  switching between the simulator and a real cluster never mixes the two, and Terraform never sees a backend
  change to "migrate".

Only :func:`environment` hands these to Terraform; the project's own ``fleetform.yaml`` and a normal synth never
see them, so production output stays valid for the registry provider.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from fleetform.errors import ApiError, FleetformError
from fleetform.hypercore import HypercoreClient
from fleetform.manifest.loader import manifest_files
from fleetform.standin_provider.install import install as install_standin

HOME = Path(".fleetform")
DEFAULT_USERNAME = "admin"
DEMO_IMAGE_BYTES = 4 * 1024 * 1024
START_TIMEOUT = 30.0


class EmbeddedError(FleetformError):
    """The embedded simulator could not be started, reached or stopped."""


@dataclass(frozen=True)
class Paths:
    """Where the simulator mode keeps its files, under a project directory."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / HOME

    @property
    def data(self) -> Path:
        return self.home / "simulator"

    @property
    def info(self) -> Path:
        return self.home / "simulator.json"

    @property
    def log(self) -> Path:
        return self.home / "simulator.log"

    @property
    def port_file(self) -> Path:
        return self.home / "simulator.port"

    @property
    def mirror(self) -> Path:
        return self.home / "mirror"

    @property
    def cli_config(self) -> Path:
        return self.home / "terraformrc"

    @property
    def demo(self) -> Path:
        return self.home / "demo"

    @property
    def demo_config(self) -> Path:
        return self.demo / "fleetform.yaml"

    @property
    def synth_dir(self) -> Path:
        """The simulator mode's own synth output: its stacks' ``.terraform`` (with the stand-in installed) never
        share a directory with production's ``cdktf.out``."""
        return self.home / "cdktf.out"


@dataclass(frozen=True)
class Simulator:
    """A running simulator: where it listens and how to log in."""

    pid: int
    url: str
    username: str
    password: str

    def client(self) -> HypercoreClient:
        """A REST client logged in as the simulator's user (use as a context manager)."""
        return HypercoreClient(self.url, self.username, self.password, verify_tls=False, retries=2)


def read_running(paths: Paths) -> Simulator | None:
    """The simulator started from this project, if it still answers."""
    try:
        info = Simulator(**json.loads(paths.info.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not _alive(info.pid) or not _answers(info):
        return None
    return info


def start(
    paths: Paths,
    *,
    site: Path | None = None,
    port: int = 0,
    username: str = DEFAULT_USERNAME,
    password: str | None = None,
) -> tuple[Simulator, bool]:
    """Start the simulator in the background (or find the one already running); also True when started now.

    Template VMs and VLANs are seeded from ``site`` (a ``fleetform.yaml``). Without a ``port`` it listens on the
    port of its last run when that is free (else any free port). A new password is made for each start unless
    one is given; it lives only in the git-ignored ``simulator.json``.
    """
    running = read_running(paths)
    if running is not None:
        return running, False
    paths.home.mkdir(parents=True, exist_ok=True)
    # The port of the last run again, so HC_HOST in the user's shell and saved plans stay right.
    port = port or _previous_port(paths)
    paths.port_file.unlink(missing_ok=True)
    password = password or secrets.token_urlsafe(12)
    command = [
        sys.executable,
        "-m",
        "fleetform.simulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--port-file",
        str(paths.port_file),
        "--data",
        str(paths.data),
        # One argument each: a generated password may start with "-", which argparse would take for an option.
        f"--username={username}",
        f"--password={password}",
    ]
    if site is not None:
        command += ["--site", str(site)]
    with paths.log.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedError(
                f"the simulator exited at start (code {process.returncode}); see {paths.log}:\n{_tail(paths.log)}"
            )
        if paths.port_file.is_file() and paths.port_file.read_text().strip():
            info = Simulator(
                process.pid, f"http://127.0.0.1:{paths.port_file.read_text().strip()}", username, password
            )
            if _answers(info):
                paths.info.write_text(json.dumps(asdict(info)))
                paths.info.chmod(0o600)
                return info, True
        time.sleep(0.1)
    process.terminate()
    raise EmbeddedError(f"the simulator did not answer within {START_TIMEOUT:g} s; see {paths.log}")


def stop(paths: Paths) -> bool:
    """Stop the simulator started from this project; False when none was running."""
    try:
        info = Simulator(**json.loads(paths.info.read_text()))
    except (OSError, ValueError, TypeError):
        return False
    paths.info.unlink(missing_ok=True)
    if not _alive(info.pid):
        return False
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    return True


def install_provider(paths: Paths) -> None:
    """Install the stand-in into the mirror and write the CLI configuration (idempotent)."""
    install_standin(paths.mirror, paths.cli_config)


def environment(paths: Paths, simulator: Simulator, *, demo: bool = True) -> dict[str, str]:
    """What Terraform, the stand-in and fleetform need to work against the simulator.

    ``FLEETFORM_CONFIG`` points at the demo site (with its image mirror and state) when ``demo`` is set.
    """
    env = {
        "HC_HOST": simulator.url,
        "HC_USERNAME": simulator.username,
        "HC_PASSWORD": simulator.password,
        "TF_CLI_CONFIG_FILE": str(paths.cli_config.resolve()),
        "FLEETFORM_STANDIN_PYTHON": sys.executable,
        # The stand-in polls tasks this often at first (the real provider waits a fixed second).
        "HC_POLL_INTERVAL": "0.02",
    }
    if demo:
        env["FLEETFORM_CONFIG"] = str(paths.demo_config.resolve())
    return env


def write_demo_site(paths: Paths, site: Path, asset_urls: Iterable[str]) -> Path:
    """The demo's ``fleetform.yaml``: ``site`` plus an image mirror of small local images, state under demo/.

    The seed's image URLs cannot be reached here (nor at many air-gapped edge sites); each gets a small raw
    image that the stand-in uploads to the simulator as the real provider would upload the real one.
    """
    try:
        config: dict[str, Any] = yaml.safe_load(site.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise EmbeddedError(f"cannot read the site configuration {site}: {exc}") from None
    images_dir = paths.demo / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    # The site's own mirror entries, local paths rebased: they are relative to the site file, not to demo/.
    mirror: dict[str, str] = {
        str(url): _rebased(str(location), site.parent, paths.demo)
        for url, location in dict(config.get("images") or {}).items()
    }
    for url in sorted(set(asset_urls)):
        if url in mirror:
            continue
        name = url.rstrip("/").rsplit("/", 1)[-1] or "image"
        image = images_dir / (name if "." in name else name + ".img")
        if not image.is_file() or image.stat().st_size != DEMO_IMAGE_BYTES:
            _write_raw_image(image, DEMO_IMAGE_BYTES)
        mirror[url] = str(image.relative_to(paths.demo))
    config["images"] = mirror
    config["state"] = {"backend": "local", "dir": "state"}
    text = (
        f"# Generated by fleetform for the simulator demo from {site}; do not edit (it is rewritten).\n"
        "# Seed image URLs are mirrored to small local images; state lives next to this file.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    paths.demo.mkdir(parents=True, exist_ok=True)
    if not paths.demo_config.is_file() or paths.demo_config.read_text() != text:
        paths.demo_config.write_text(text)
    return paths.demo_config


def _rebased(location: str, site_dir: Path, demo_dir: Path) -> str:
    """A mirror entry of the site file, valid from the demo site file: URLs as they are, relative local paths
    relative to ``demo_dir``."""
    if "://" in location or os.path.isabs(location):
        return location
    return os.path.relpath((site_dir / location).resolve(), demo_dir.resolve())


def _write_raw_image(path: Path, size: int) -> None:
    """A raw disk image of ``size`` bytes: an MBR boot signature, the rest zeros (sparse where possible)."""
    with path.open("wb") as handle:
        handle.write(b"\0" * 510 + b"\x55\xaa")
        handle.truncate(size)


def vm_rows(simulator: Simulator, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """One row per VM (templates left out unless named): name, power, vCPU, memory, machine type, devices."""
    wanted = set(names) if names is not None else None
    try:
        with simulator.client() as client:
            vms = client.list_vms()
    except ApiError as exc:
        raise EmbeddedError(f"cannot read the VMs from the simulator: {exc}") from None
    rows = []
    for vm in sorted(vms, key=lambda v: v.name):
        if wanted is not None and vm.name not in wanted:
            continue
        if wanted is None and vm.name.startswith("fleetform-template-"):
            continue
        rows.append(
            {
                "name": vm.name,
                "state": vm.state,
                "vcpu": vm.num_vcpu,
                "memory_bytes": vm.mem,
                "machine_type": vm.machine_type_keyword or vm.machine_type,
                "disks": [d.capacity for d in vm.block_devs if d.type not in ("NVRAM", "VTPM", "IDE_CDROM")],
                "vlans": sorted(n.vlan for n in vm.net_devs),
            }
        )
    return rows


def prepare(
    root: Path, manifest_paths: Sequence[str | Path], site: Path | None = None
) -> tuple[Simulator, dict[str, str]]:
    """Everything a deploy against the simulator needs: the simulator running (seeded from ``site``), the
    stand-in installed and the demo site written; the running simulator and the environment for Terraform."""
    paths = Paths(root)
    site = site or root / "fleetform.yaml"
    simulator, _ = start(paths, site=site)
    install_provider(paths)
    files, _ = manifest_files(manifest_paths)
    docs = []
    for file in files:
        with contextlib.suppress(OSError, yaml.YAMLError):
            docs.append(yaml.safe_load(file.read_text()))
    write_demo_site(paths, site, asset_urls(docs))
    return simulator, environment(paths, simulator)


def _previous_port(paths: Paths) -> int:
    """The port the last simulator of this project listened on, if it is free now (else 0: any port)."""
    try:
        port = int(paths.port_file.read_text().strip())
    except (OSError, ValueError):
        return 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return 0
    return port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _answers(info: Simulator) -> bool:
    try:
        with info.client() as client:
            client.list_nodes()
    except ApiError:
        return False
    return True


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def asset_urls(manifest_docs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every asset URL of the given manifest documents (plain YAML data)."""
    urls = []
    for doc in manifest_docs:
        for asset in ((doc.get("spec") or {}).get("assets") or []) if isinstance(doc, Mapping) else []:
            if isinstance(asset, Mapping) and isinstance(asset.get("url"), str):
                urls.append(asset["url"])
    return urls
