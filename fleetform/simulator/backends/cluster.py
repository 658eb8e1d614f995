"""The cluster itself: sessions (the one local user), nodes, the cluster record, VLANs, and the seed a fresh or
reset cluster starts with.
"""

from __future__ import annotations

import hmac
import shutil

from fleetform.simulator.backends.core import Caller, Record, new_uuid
from fleetform.simulator.backends.disks import BlockDeviceBackend
from fleetform.simulator.errors import NotFound, Unauthorized
from fleetform.simulator.models import (
    FIRMWARE_DEVICES,
    ICOS_VERSION,
    MACHINE_TYPES,
    SEED_FIRMWARE_CAPACITY,
    Session,
    TaskRef,
    Vm,
    now,
)
from fleetform.simulator.schemas import ClusterUpdate


class ClusterBackend(BlockDeviceBackend):
    """Sessions, nodes, the cluster record, VLANs, seeding and reset."""

    def login(self, username: str, password: str) -> str:
        """Start a session; its ID (the ``sessionID`` cookie). Sessions survive a restart."""
        if not self.credentials_valid(username, password):
            raise Unauthorized("Invalid username or password")
        session = Session(new_uuid(), username, now())
        with self.db.transaction():
            self.sessions.insert(session)
        return session.uuid

    def logout(self, session_id: str) -> None:
        with self.db.transaction():
            self.sessions.delete(session_id)

    def session_valid(self, session_id: str) -> bool:
        return bool(session_id) and self.sessions.get(session_id) is not None

    def credentials_valid(self, username: str, password: str) -> bool:
        return hmac.compare_digest(username.encode(), self.username.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode()
        )

    def list_nodes(self) -> list[Record]:
        return [node.to_dict() for node in self.nodes]

    def list_clusters(self) -> list[Record]:
        return [
            {
                "uuid": self.cluster_uuid,
                "clusterName": self.db.meta("cluster_name") or "",
                "icosVersion": ICOS_VERSION,
            }
        ]

    def update_cluster(self, caller: Caller, uuid: str, body: ClusterUpdate) -> TaskRef:
        if uuid != self.cluster_uuid:
            raise NotFound.of("Cluster", uuid)
        with self.db.transaction():
            task = self._task(
                caller,
                "Rename cluster to %@",
                [body.clusterName],
                uuid,
                lambda: self.db.set_meta("cluster_name", body.clusterName),
            )
        return TaskRef(str(task.tag))

    def seed(self) -> None:
        """Add the seed's template VMs and VLANs that are missing (so a restart adds no duplicates)."""
        with self.db.transaction():
            for keyword, name in self.seed_data.templates.items():
                if self.vms.where(name=name):
                    continue
                vm = Vm(
                    uuid=new_uuid(),
                    name=name,
                    # No description: a clone inherits it, and the provider never clears one it did not set.
                    description="",
                    machine_type_keyword=keyword,
                    machine_type=MACHINE_TYPES[keyword],
                    node_uuid=self.nodes[0].uuid,
                    created=int(now()),
                )
                self.vms.insert(vm)
                # As a client creates a UEFI/vTPM VM: it sends the firmware devices (HyperCore adds none).
                for kind in FIRMWARE_DEVICES[keyword]:
                    self._add_block_device(vm, kind, SEED_FIRMWARE_CAPACITY[kind])
            for vlan, name in self.seed_data.vlans.items():
                self.db.add_vlan(vlan, name)

    def vlans(self) -> list[Record]:
        return [{"vlan": vlan, "name": name} for vlan, name in self.db.vlans()]

    def reset(self) -> None:
        """Wipe VMs, devices, images and the action log, drop the faults, then seed again.

        Sessions, the cluster's identity and task numbering survive, so logged-in clients keep working.
        """
        with self.db.transaction():
            self.db.wipe()
            self.faults.clear()
            self.seed()
        for folder in ("virtual-disks", "isos"):
            shutil.rmtree(self.data_dir / folder, ignore_errors=True)
