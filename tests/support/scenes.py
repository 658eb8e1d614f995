"""Support for the day-2 scenarios (tests/scenarios): every operator scenario from a deployed seed, with real Terraform, the stand-in and the simulator.

The seed (two applications, four VMs: a data disk, an image, a VM kept shut off) is deployed once per session
with ``fleetform deploy``; each scenario starts from a copy of the seed's project (manifests, state, synth
output with its initialized working directories) and of the simulator's data directory, served by a simulator
of its own. A scenario drives fleetform only (its commands are recorded: no Terraform command is typed by hand)
and changes the cluster out of band only through the REST API, as an operator in the HyperCore UI would.
:meth:`Scene.close` then asserts what every scenario must end with: a second plan that changes nothing,
``fleetform drift`` exiting 0, and every VM, disk and NIC the scenario did not touch still there, the same
objects (same UUIDs).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator
from support.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
FLEETFORM = str(ROOT / ".venv" / "bin" / "fleetform")
IMAGE = "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-web.img"

ALPHA = f"""\
type: Application
version: "1.0.0"
metadata:
  name: alpha
spec:
  assets:
    - {{name: ubuntu, type: virtual_disk, format: raw, url: "{IMAGE}"}}
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        tags: ["tier:web"]
        storage_devices:
          - {{name: system, type: virtio_disk, source: ubuntu, capacity: 10GiB, boot: 1}}
        network_devices:
          - {{name: web-net, type: virtio}}
          - {{name: app-net, type: virtio}}
    - type: virdomain
      name: db
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: bios
        state: running
        storage_devices:
          - {{name: system, type: virtio_disk, capacity: 10GiB, boot: 1}}
          - {{name: data, type: virtio_disk, capacity: 20GiB}}
        network_devices:
          - {{name: db-net, type: virtio}}
"""
BETA = """\
type: Application
version: "1.0.0"
metadata:
  name: beta
spec:
  resources:
    - type: virdomain
      name: cache
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
        network_devices:
          - {name: app-net, type: virtio}
    - type: virdomain
      name: batch
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: shutoff
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
"""
SEED_VMS = ("web", "db", "cache", "batch")
GiB = 1024**3


def inventory(client: HypercoreClient) -> dict[str, dict[str, Any]]:
    """Every VM on the cluster by name: its UUID, its disks' and NICs' UUIDs, power, vCPU, memory and tags."""
    return {
        vm["name"]: {
            "uuid": vm["uuid"],
            "disks": sorted(d["uuid"] for d in vm["blockDevs"] if d["type"] == "VIRTIO_DISK"),
            "nics": sorted(n["uuid"] for n in vm["netDevs"]),
            "state": vm["state"],
            "vcpu": vm["numVCPU"],
            "mem": vm["mem"],
            "tags": vm["tags"],
        }
        for vm in client.get("/rest/v1/VirDomain")
    }


@dataclass
class Seed:
    """The deployed seed: its project and simulator data, and what the cluster held afterwards."""

    root: Path
    vms: dict[str, dict[str, Any]]
    seconds: float


def run_fleetform(
    cwd: Path,
    env: dict[str, str],
    args: Sequence[str],
    *,
    stdin: Any = subprocess.DEVNULL,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLEETFORM, *args],
        cwd=cwd,
        env={**env, "COLUMNS": "250"},
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Scene:
    """One scenario's project and cluster, started from the seed."""

    root: Path
    sim: RunningSimulator
    box: Sandbox
    seed: Seed
    commands: list[list[str]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    # --- running fleetform, and only fleetform

    def env(self, **extra: str) -> dict[str, str]:
        env = self.box.env(**self.extra_env, **extra)
        return {k: v for k, v in env.items() if v != ""}

    def fleetform(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``fleetform ARGS`` in the project, without a terminal (stdin is /dev/null)."""
        self.commands.append([FLEETFORM, *args])
        return run_fleetform(self.root, env if env is not None else self.env(), args)

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """``fleetform ARGS`` in the background (its own process group, to be interrupted)."""
        self.commands.append([FLEETFORM, *args])
        return subprocess.Popen(
            [FLEETFORM, *args],
            cwd=self.root,
            env={**(env if env is not None else self.env()), "COLUMNS": "250"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def with_terminal(self, *args: str, answer: str) -> subprocess.CompletedProcess[str]:
        """``fleetform ARGS`` with a terminal on stdin that has ``answer`` typed into it."""
        import pty

        self.commands.append([FLEETFORM, *args])
        controller, terminal = pty.openpty()
        try:
            os.write(controller, answer.encode())
            return run_fleetform(self.root, self.env(), args, stdin=terminal)
        finally:
            os.close(controller)
            os.close(terminal)

    def deploy(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.fleetform("deploy", "--auto-approve", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    # --- the cluster, out of band (what an operator does in the HyperCore UI)

    def client(self, **override: str) -> HypercoreClient:
        return HypercoreClient(
            override.get("url", self.sim.url), self.sim.username, override.get("password", self.sim.password)
        )

    def vms(self) -> dict[str, dict[str, Any]]:
        with self.client() as client:
            return inventory(client)

    def raw_vm(self, name: str) -> dict[str, Any]:
        with self.client() as client:
            return next(vm for vm in client.get("/rest/v1/VirDomain") if vm["name"] == name)

    def power(self, name: str, action: str) -> None:
        uuid = self.raw_vm(name)["uuid"]
        with self.client() as client:
            body = [{"virDomainUUID": uuid, "actionType": action, "cause": "INTERNAL"}]
            client.wait_task(client.post("/rest/v1/VirDomain/action", body))

    def patch_vm(self, name: str, body: dict[str, Any]) -> None:
        uuid = self.raw_vm(name)["uuid"]
        with self.client() as client:
            client.wait_task(client.patch(f"/rest/v1/VirDomain/{uuid}", body))

    def delete(self, path: str) -> None:
        with self.client() as client:
            client.wait_task(client.delete(path))

    # --- files

    def manifest(self, name: str) -> Path:
        return self.root / "manifests" / f"{name}.yaml"

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.manifest(name)
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1))

    # --- what every scenario ends with

    def close(self, *, touched: Sequence[str] = ()) -> None:
        """A second plan changes nothing, drift exits 0, nothing outside ``touched`` was destroyed or replaced,
        and every command the scenario ran was fleetform's."""
        planned = self.fleetform("plan", "-o", "plans-final")
        assert planned.returncode == 0, planned.stdout + planned.stderr
        assert ": 0 with changes" in planned.stdout, planned.stdout + planned.stderr
        drift = self.fleetform("drift", "-o", "drift-final")
        assert drift.returncode == 0, drift.stdout + drift.stderr
        now = self.vms()
        for name, before in self.seed.vms.items():
            if name in touched:
                continue
            assert name in now, f"VM {name} was destroyed, outside the scenario"
            for key in ("uuid", "disks", "nics"):
                assert now[name][key] == before[key], f"VM {name}: its {key} changed, outside the scenario"
        assert all(command[0] == FLEETFORM for command in self.commands)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_for_apply(process: subprocess.Popen[str], timeout: float = 120) -> int:
    """The pid of the ``terraform apply`` that ``process`` (fleetform) runs, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "fleetform ended before it applied anything"
        for child in children(process.pid):
            if " apply " in command_line(child):
                return child
        time.sleep(0.05)
    raise AssertionError("terraform apply did not start")


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything under it, at once (as an OOM killer or a lost CI runner would)."""
    tree = [pid]
    for parent in tree:
        tree.extend(children(parent))
    for member in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)
