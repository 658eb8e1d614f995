"""Network devices (``/rest/v1/VirDomainNetDevice``): NICs, their VLANs and MAC addresses, and the guest IPs
they report when the guest agent is on.
"""

from __future__ import annotations

import secrets

from fleetform.simulator.backends.core import Caller, Record, new_uuid
from fleetform.simulator.backends.tasks import TaskBackend
from fleetform.simulator.errors import BadRequest
from fleetform.simulator.models import MAC_PREFIX, NetDevice, TaskRef, now
from fleetform.simulator.schemas import NetDeviceCreate, NetDeviceUpdate


class NetDeviceBackend(TaskBackend):
    """Network devices of VMs."""

    def list_net_devices(self) -> list[Record]:
        with self.db.transaction():
            return [self._nic_record(nic, None) for nic in self.net_devices.all()]

    def get_net_device(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._nic_record(self._net_device(uuid), None)

    def create_net_device(self, caller: Caller, body: NetDeviceCreate) -> TaskRef:
        """A NIC on any VLAN (HyperCore does not manage VLANs); without a MAC the cluster makes a unique one."""
        uuid = new_uuid()
        with self.db.transaction():
            vm = self._vm(body.virDomainUUID)

            def work() -> None:
                self._add_net_device(
                    vm.uuid, body.type, body.vlan, body.macAddress, body.connected, uuid=uuid
                )

            task = self._task(
                caller,
                "Create network device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag), uuid)

    def update_net_device(self, caller: Caller, uuid: str, body: NetDeviceUpdate) -> TaskRef:
        sent = body.model_fields_set
        with self.db.transaction():
            nic = self._net_device(uuid)
            vm = self._vm(nic.vm_uuid)
            if "virDomainUUID" in sent and body.virDomainUUID != nic.vm_uuid:
                raise BadRequest("virDomainUUID of a network device cannot be changed")

            def work() -> None:
                if "type" in sent:
                    nic.type = body.type
                if "vlan" in sent:
                    nic.vlan = body.vlan
                if "macAddress" in sent:
                    nic.mac_address = body.macAddress or self._new_mac()
                if "connected" in sent:
                    nic.connected = body.connected
                self.net_devices.update(nic)

            task = self._task(
                caller,
                "Update network device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    def delete_net_device(self, caller: Caller, uuid: str) -> TaskRef:
        with self.db.transaction():
            nic = self._net_device(uuid)
            vm = self._vm(nic.vm_uuid)

            def work() -> None:
                self.net_devices.delete(uuid)
                self._forget_boot_device(vm, uuid)

            task = self._task(
                caller,
                "Delete network device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    def _add_net_device(
        self, vm_uuid: str, kind: str, vlan: int, mac: str, connected: bool, *, uuid: str | None = None
    ) -> NetDevice:
        nic = NetDevice(
            uuid or new_uuid(), vm_uuid, kind, mac or self._new_mac(), vlan, connected, int(now())
        )
        self.net_devices.insert(nic)
        return nic

    def _new_mac(self) -> str:
        """A MAC in Scale Computing's range that no NIC on the cluster has."""
        while True:
            suffix = ":".join(f"{byte:02X}" for byte in secrets.token_bytes(3))
            mac = f"{MAC_PREFIX}:{suffix}"
            if not self.net_devices.count(mac_address=mac):
                return mac

    def _nic_record(self, nic: NetDevice, vm_state: str | None) -> Record:
        if vm_state is None:
            vm = self.vms.get(nic.vm_uuid)
            vm_state = vm.state if vm is not None else "SHUTOFF"
        addresses = []
        if self.timing.guest_agent and vm_state == "RUNNING" and nic.connected:
            host = int(nic.mac_address[-2:], 16) % 250 + 2
            addresses.append(f"10.{nic.vlan // 256}.{nic.vlan % 256}.{host}")
        return nic.to_dict(addresses)
