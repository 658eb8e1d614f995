"""Data protection: snapshot schedules, VM snapshots (and disks cloned from them), remote cluster connections
and replication.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

from fleetform.simulator.backends.core import Caller, Record, new_uuid
from fleetform.simulator.backends.vms import VmBackend
from fleetform.simulator.errors import BadRequest, NotFound, TaskRefused
from fleetform.simulator.models import RemoteConnection, Replication, Snapshot, SnapshotSchedule, TaskRef, now
from fleetform.simulator.schemas import (
    BlockDeviceClone,
    ReplicationCreate,
    ReplicationUpdate,
    SnapshotCreate,
    SnapshotScheduleCreate,
    SnapshotScheduleUpdate,
)


class SnapshotBackend(VmBackend):
    """Schedules, snapshots, remote clusters and replication (records only: no data moves)."""

    def list_snapshot_schedules(self) -> list[Record]:
        with self.db.transaction():
            return [schedule.to_dict() for schedule in self.schedules.all()]

    def get_snapshot_schedule(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._schedule(uuid).to_dict()

    def create_snapshot_schedule(self, body: SnapshotScheduleCreate) -> TaskRef:
        """A schedule with its rules (each gets a UUID); answers an empty task tag and the new UUID."""
        uuid = new_uuid()
        with self.db.transaction():
            self.schedules.insert(SnapshotSchedule(uuid, body.name, _rules(body.rrules)))
        return TaskRef("", uuid)

    def update_snapshot_schedule(self, uuid: str, body: SnapshotScheduleUpdate) -> TaskRef:
        """Rename and/or replace every rule (``rrules`` is the whole new list); an empty task tag."""
        sent = body.model_fields_set
        with self.db.transaction():
            schedule = self._schedule(uuid)
            if "name" in sent:
                schedule.name = body.name
            if "rrules" in sent:
                schedule.rrules = _rules(body.rrules)
            self.schedules.update(schedule)
        return TaskRef("")

    def delete_snapshot_schedule(self, uuid: str) -> TaskRef:
        """Remove a schedule; VMs that used it are left without one. An empty task tag."""
        with self.db.transaction():
            self._schedule(uuid)
            for vm in self.vms.all():
                if vm.snapshot_schedule_uuid == uuid:
                    vm.snapshot_schedule_uuid = ""
                    self.vms.update(vm)
            self.schedules.delete(uuid)
        return TaskRef("")

    def list_snapshots(self) -> list[Record]:
        with self.db.transaction():
            return [snapshot.to_dict() for snapshot in self.snapshots.all()]

    def get_snapshot(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._snapshot(uuid).to_dict()

    def create_snapshot(self, caller: Caller, body: SnapshotCreate) -> TaskRef:
        """A snapshot of a VM (running or not): its record as it is now and its disks' contents.

        The VM's ``snapshotSerialNumber`` counts up by one; the snapshot keeps the new value in ``domain``.
        CD-ROMs and disks with ``disableSnapshotting`` are left out of ``deviceSnapshots``.
        """
        uuid = new_uuid()
        with self.db.transaction():
            vm = self._vm(body.domainUUID)

            def work() -> None:
                vm.snapshot_serial_number += 1
                self.vms.update(vm)
                devices = [
                    {"uuid": device.uuid, "serialNumber": vm.snapshot_serial_number}
                    for device in self.block_devices.where(vm_uuid=vm.uuid)
                    if device.type != "IDE_CDROM" and not device.disable_snapshotting
                ]
                snapshot = Snapshot(
                    uuid=uuid,
                    vm_uuid=vm.uuid,
                    label=body.label,
                    domain=self._vm_records([vm])[0],
                    device_snapshots=devices,
                    timestamp=int(now()),
                    type=body.type,
                    replication=body.replication,
                    automated_trigger_timestamp=body.automatedTriggerTimestamp,
                    local_retain_until_timestamp=body.localRetainUntilTimestamp,
                    remote_retain_until_timestamp=body.remoteRetainUntilTimestamp,
                    block_count_diff_from_serial_number=body.blockCountDiffFromSerialNumber,
                )
                self.snapshots.insert(snapshot)

            task = self._task(
                caller, "Create snapshot of VM %@", [vm.name], vm.uuid, work, vm_uuids=[vm.uuid]
            )
        return TaskRef(str(task.tag), uuid)

    def delete_snapshot(self, caller: Caller, uuid: str) -> TaskRef:
        with self.db.transaction():
            snapshot = self._snapshot(uuid)
            vm = self._vm(snapshot.vm_uuid)
            task = self._task(
                caller,
                "Delete snapshot %@ of VM %@",
                [snapshot.label, vm.name],
                vm.uuid,
                lambda: self.snapshots.delete(uuid),
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    def clone_block_device(self, caller: Caller, device_uuid: str, body: BlockDeviceClone) -> TaskRef:
        """A disk as a VM snapshot holds it (``device_uuid``: the disk's UUID when the snapshot was taken),
        attached to ``template.virDomainUUID`` at ``template.slot`` or the next free slot.

        The template's ``name`` is dropped, as on HyperCore; the capacity is at least the disk's.
        """
        template = body.template
        new_device = new_uuid()
        with self.db.transaction():
            snapshot = self._snapshot(body.snapUUID)
            source = next(
                (dev for dev in snapshot.domain.get("blockDevs", []) if dev.get("uuid") == device_uuid), None
            )
            if source is None or device_uuid not in {d["uuid"] for d in snapshot.device_snapshots}:
                raise NotFound(f"Snapshot '{body.snapUUID}' holds no block device '{device_uuid}'")
            vm = self._vm(template.virDomainUUID)
            self._check_slot(vm.uuid, template.type, template.slot)

            def work() -> None:
                self._add_block_device(
                    vm,
                    template.type,
                    max(template.capacity, int(source.get("capacity", 0))),
                    uuid=new_device,
                    slot=template.slot,
                    cache_mode=template.cacheMode,
                    tiering=template.tieringPriorityFactor,
                    disable_snapshotting=template.disableSnapshotting,
                    read_only=template.readOnly,
                    allocation=int(source.get("allocation", 0)),
                )

            task = self._task(
                caller,
                "Clone block device %@ from snapshot to VM %@",
                [device_uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag), new_device)

    def list_remote_connections(self) -> list[Record]:
        with self.db.transaction():
            return [connection.to_dict() for connection in self.connections.all()]

    def get_remote_connection(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._connection(uuid).to_dict()

    def add_remote_connection(self, cluster_name: str, nodes: int = 1) -> Record:
        """Connect to a (made-up) remote cluster called ``cluster_name`` (the admin API's seeding)."""
        uuid = new_uuid()
        remote = uuidlib.uuid5(uuidlib.UUID(self.cluster_uuid), f"remote-{cluster_name}")
        connection = RemoteConnection(
            uuid=uuid,
            cluster_name=cluster_name,
            remote_cluster_uuid=str(remote),
            remote_node_ips=[f"10.1.0.{10 + peer}" for peer in range(1, nodes + 1)],
            remote_node_uuids=[str(uuidlib.uuid5(remote, f"node-{peer}")) for peer in range(1, nodes + 1)],
        )
        with self.db.transaction():
            self.connections.insert(connection)
        return connection.to_dict()

    def delete_remote_connection(self, caller: Caller, uuid: str) -> TaskRef:
        """Remove a connection; refused (task ERROR) while a replication uses it."""
        with self.db.transaction():
            connection = self._connection(uuid)

            def work() -> None:
                if any(r.connection_uuid == uuid for r in self.replications.all()):
                    raise TaskRefused(
                        "Unable to delete remote cluster connection to '%@': replications use it",
                        connection.cluster_name,
                    )
                self.connections.delete(uuid)

            task = self._task(
                caller, "Delete remote cluster connection to %@", [connection.cluster_name], uuid, work
            )
        return TaskRef(str(task.tag))

    def list_replications(self) -> list[Record]:
        with self.db.transaction():
            return [replication.to_dict() for replication in self.replications.all()]

    def get_replication(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._replication(uuid).to_dict()

    def create_replication(self, caller: Caller, body: ReplicationCreate) -> TaskRef:
        """Replicate a VM over a remote cluster connection; a VM has at most one replication.

        A second one is HyperCore's 400 "Failed to create replication" (the Terraform provider matches that
        text). The target VM's UUID on the remote cluster is made up.
        """
        uuid = new_uuid()
        with self.db.transaction():
            vm = self._vm(body.sourceDomainUUID)
            self._check_connection(body.connectionUUID)
            if self.replications.where(vm_uuid=vm.uuid):
                raise BadRequest(f"Failed to create replication: VM '{vm.name}' is already replicated")
            target = str(uuidlib.uuid5(uuidlib.UUID(body.connectionUUID), vm.uuid))

            def work() -> None:
                self.replications.insert(
                    Replication(uuid, vm.uuid, body.connectionUUID, target, body.label, body.enable)
                )

            task = self._task(
                caller, "Create replication of VM %@", [vm.name], vm.uuid, work, vm_uuids=[vm.uuid]
            )
        return TaskRef(str(task.tag), uuid)

    def update_replication(self, caller: Caller, uuid: str, body: ReplicationUpdate) -> TaskRef:
        """Enable/disable, relabel or move a replication to another connection (HyperCore has no DELETE)."""
        sent = body.model_fields_set
        with self.db.transaction():
            replication = self._replication(uuid)
            vm = self._vm(replication.vm_uuid)
            if "sourceDomainUUID" in sent and body.sourceDomainUUID != replication.vm_uuid:
                raise BadRequest("sourceDomainUUID of a replication cannot be changed")
            if "connectionUUID" in sent:
                self._check_connection(body.connectionUUID)

            def work() -> None:
                if "connectionUUID" in sent:
                    replication.connection_uuid = body.connectionUUID
                if "label" in sent:
                    replication.label = body.label
                if "enable" in sent:
                    replication.enable = body.enable
                self.replications.update(replication)

            task = self._task(
                caller, "Update replication of VM %@", [vm.name], vm.uuid, work, vm_uuids=[vm.uuid]
            )
        return TaskRef(str(task.tag))

    def _check_connection(self, uuid: str) -> None:
        if not uuid or self.connections.get(uuid) is None:
            raise BadRequest(f"connectionUUID '{uuid}' is not a remote cluster connection of this cluster")


def _rules(rules: Iterable[Any]) -> list[Record]:
    """Snapshot schedule rules as stored and answered, each with a new UUID."""
    return [{"uuid": new_uuid(), **rule.model_dump()} for rule in rules]
