"""What every entity backend stands on: the cluster's SQLite tables, its identity and nodes, the settings a
running simulator may change, and the lookups by UUID (HTTP 404 for an unknown one).
"""

from __future__ import annotations

import dataclasses
import uuid as uuidlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetform.simulator.db import Database, Table
from fleetform.simulator.errors import NotFound
from fleetform.simulator.faults import FaultBook
from fleetform.simulator.models import (
    DEFAULT_TASK_SECONDS,
    BlockDevice,
    Iso,
    NetDevice,
    Node,
    RemoteConnection,
    Replication,
    Session,
    Snapshot,
    SnapshotSchedule,
    VirtualDisk,
    Vm,
    now,
)

DATABASE_FILE = "hypercore.sqlite3"
OFF_STATES = ("SHUTOFF", "SHUTDOWN", "CRASHED")
Record = dict[str, Any]


@dataclass(frozen=True)
class Caller:
    """The request being served, as far as tasks and task faults need to know it."""

    method: str = ""
    path: str = ""
    session_id: str = ""


@dataclass
class Timing:
    """Behaviour that tests may change while the simulator runs (``PATCH /admin/settings``)."""

    task_seconds: float = DEFAULT_TASK_SECONDS
    """How long every task reports QUEUED/RUNNING before its final state."""
    shutdown_seconds: float = 0.0
    """How long a guest takes to power off after an ACPI SHUTDOWN."""
    guest_agent: bool = False
    """Whether running guests report IPv4 addresses."""
    busy_vms: bool = True
    """Whether a request that would start a task on a VM whose task is still running gets HTTP 500."""


@dataclass
class Seed:
    """What a fresh (or reset) cluster starts with."""

    templates: dict[str, str] = dataclasses.field(default_factory=dict)
    """machineTypeKeyword -> name of an empty template VM of that machine type."""
    vlans: dict[int, str] = dataclasses.field(default_factory=dict)
    """VLAN id -> network name, as the site configuration names them."""


def new_uuid() -> str:
    return str(uuidlib.uuid4())


class BackendCore:
    """The cluster's state, persisted under ``data_dir``; the entity backends add the verbs."""

    def __init__(
        self,
        data_dir: Path,
        *,
        username: str = "admin",
        password: str = "admin",
        nodes: int = 1,
        timing: Timing | None = None,
        faults: FaultBook | None = None,
        seed: Seed | None = None,
    ):
        self.data_dir = data_dir
        self.username = username
        self.password = password
        self.timing = timing or Timing()
        self.faults = faults or FaultBook()
        self.seed_data = seed or Seed()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(data_dir / DATABASE_FILE)
        self.vms = Table(self.db, "vms", Vm, ("name",))
        self.block_devices = Table(self.db, "block_devices", BlockDevice, ("vm_uuid", "type", "slot"))
        self.net_devices = Table(self.db, "net_devices", NetDevice, ("vm_uuid", "mac_address"))
        self.virtual_disks = Table(self.db, "virtual_disks", VirtualDisk, ("name",))
        self.isos = Table(self.db, "isos", Iso, ("name", "path"))
        self.sessions = Table(self.db, "sessions", Session)
        self.schedules = Table(self.db, "snapshot_schedules", SnapshotSchedule, ("name",))
        self.snapshots = Table(self.db, "snapshots", Snapshot, ("vm_uuid",))
        self.connections = Table(self.db, "remote_connections", RemoteConnection)
        self.replications = Table(self.db, "replications", Replication, ("vm_uuid",))
        with self.db.transaction():
            cluster_uuid = self.db.meta("cluster_uuid")
            if cluster_uuid is None:
                cluster_uuid = new_uuid()
                self.db.set_meta("cluster_uuid", cluster_uuid)
                self.db.set_meta("cluster_name", "fleetform-simulator")
        self.cluster_uuid = cluster_uuid
        namespace = uuidlib.UUID(cluster_uuid)
        self.nodes = [
            Node(str(uuidlib.uuid5(namespace, f"node-{peer}")), peer) for peer in range(1, nodes + 1)
        ]

    def close(self) -> None:
        self.db.close()

    def _vm(self, uuid: str) -> Vm:
        vm = self.vms.get(uuid)
        if vm is None:
            raise NotFound.of("VirDomain", uuid)
        return self._settled([vm])[0]

    def _settled(self, vms: list[Vm]) -> list[Vm]:
        at = now()
        for vm in vms:
            if vm.settle(at):
                self.vms.update(vm)
        return vms

    def _block_device(self, uuid: str) -> BlockDevice:
        device = self.block_devices.get(uuid)
        if device is None:
            raise NotFound.of("VirDomainBlockDevice", uuid)
        return device

    def _net_device(self, uuid: str) -> NetDevice:
        nic = self.net_devices.get(uuid)
        if nic is None:
            raise NotFound.of("VirDomainNetDevice", uuid)
        return nic

    def _virtual_disk(self, uuid: str) -> VirtualDisk:
        disk = self.virtual_disks.get(uuid)
        if disk is None:
            raise NotFound.of("VirtualDisk", uuid)
        return disk

    def _iso(self, uuid: str) -> Iso:
        iso = self.isos.get(uuid)
        if iso is None:
            raise NotFound.of("ISO", uuid)
        return iso

    def _schedule(self, uuid: str) -> SnapshotSchedule:
        schedule = self.schedules.get(uuid)
        if schedule is None:
            raise NotFound.of("VirDomainSnapshotSchedule", uuid)
        return schedule

    def _snapshot(self, uuid: str) -> Snapshot:
        snapshot = self.snapshots.get(uuid)
        if snapshot is None:
            raise NotFound.of("VirDomainSnapshot", uuid)
        return snapshot

    def _connection(self, uuid: str) -> RemoteConnection:
        connection = self.connections.get(uuid)
        if connection is None:
            raise NotFound.of("RemoteClusterConnection", uuid)
        return connection

    def _replication(self, uuid: str) -> Replication:
        replication = self.replications.get(uuid)
        if replication is None:
            raise NotFound.of("VirDomainReplication", uuid)
        return replication

    def _forget_boot_device(self, vm: Vm, device_uuid: str) -> None:
        if device_uuid in vm.boot_devices:
            vm.boot_devices = [uuid for uuid in vm.boot_devices if uuid != device_uuid]
            self.vms.update(vm)
