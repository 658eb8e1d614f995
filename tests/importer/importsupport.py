"""Shared by the import tests: VMs made straight through the simulator's REST API, and the CLI run against it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator

GiB = 1024**3


@dataclass
class RestCluster:
    """Makes VMs the way the HyperCore UI or a script would: through the REST API, never through fleetform."""

    sim: RunningSimulator

    def client(self) -> HypercoreClient:
        return HypercoreClient(self.sim.url, self.sim.username, self.sim.password)

    def create_vm(
        self,
        name: str,
        *,
        machine: str = "uefi",
        disks: Sequence[tuple[str, str, int]] = (),
        nics: Sequence[tuple[str, str, int]] = (),
        boot: Sequence[str] = (),
        running: bool = True,
        options: dict[str, Any] | None = None,
        **dom: Any,
    ) -> str:
        """A VM with ``disks`` and ``nics`` as (label, type, capacity or VLAN); ``boot`` lists labels. Like a
        real client, it sends the firmware devices its machine type needs (HyperCore adds none itself)."""
        firmware = {"bios": [], "uefi": ["NVRAM"], "tpm": ["NVRAM", "VTPM"]}[machine]
        body = {
            "dom": {
                "name": name,
                "mem": 2 * GiB,
                "numVCPU": 2,
                "blockDevs": dom.pop(
                    "blockDevs",
                    [{"uuid": label, "type": kind, "capacity": size} for label, kind, size in disks],
                )
                + [{"type": kind, "capacity": 540672 if kind == "NVRAM" else 0} for kind in firmware],
                "netDevs": [{"uuid": label, "type": kind, "vlan": vlan} for label, kind, vlan in nics],
                "bootDevices": list(boot),
                "state": "RUNNING" if running else "SHUTOFF",
                **dom,
            },
            "options": {"machineTypeKeyword": machine, **(options or {})},
        }
        with self.client() as client:
            task = client.post("/rest/v1/VirDomain", body)
            client.wait_task(task, poll_interval=0.01)
        return task.created_uuid

    def create_schedule(self, name: str) -> str:
        """A nightly snapshot schedule made outside fleetform; its UUID."""
        rule = {
            "name": "nightly",
            "dtstart": "2025-01-01 02:00:00",
            "rrule": "FREQ=DAILY;INTERVAL=1",
            "localRetentionDurationSeconds": 604800,
            "remoteRetentionDurationSeconds": 604800,
        }
        with self.client() as client:
            task = client.post("/rest/v1/VirDomainSnapshotSchedule", {"name": name, "rrules": [rule]})
            client.wait_task(task, poll_interval=0.01)
        return task.created_uuid

    def add_disk(self, vm_uuid: str, kind: str, capacity: int = 0) -> str:
        """A block device added to an existing VM (HyperCore picks the slot); its UUID."""
        body = {"virDomainUUID": vm_uuid, "type": kind, "capacity": capacity}
        with self.client() as client:
            task = client.post("/rest/v1/VirDomainBlockDevice", body)
            client.wait_task(task, poll_interval=0.01)
        return task.created_uuid

    def action(self, uuid: str, kind: str) -> None:
        with self.client() as client:
            task = client.post("/rest/v1/VirDomain/action", [{"virDomainUUID": uuid, "actionType": kind}])
            client.wait_task(task, poll_interval=0.01)

    def delete_vm(self, uuid: str) -> None:
        with self.client() as client:
            client.wait_task(client.delete(f"/rest/v1/VirDomain/{uuid}"), poll_interval=0.01)

    def vm(self, uuid: str) -> dict[str, Any]:
        with self.client() as client:
            return client.get(f"/rest/v1/VirDomain/{uuid}")[0]


ImportRunner = Callable[..., Result]


def import_runner(sim: RunningSimulator, project: Path) -> ImportRunner:
    """``fleetform import ARGS`` in ``project`` (its fleetform.yaml and manifests/), against ``sim``."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(
            _cli(),
            [
                "import",
                "--config",
                str(project / "fleetform.yaml"),
                "--manifests",
                str(project / "manifests"),
                *args,
            ],
            env=sim.env(),
        )

    return run


def _cli() -> Any:
    from fleetform.cli import app

    return app
