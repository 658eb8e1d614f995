"""``hypercore_nic`` (``hypercore_nic_resource.go``, ``utils/nic.go``); imported as ``vm_uuid:TYPE:vlan``."""

from __future__ import annotations

from typing import Any, ClassVar

from fleetform.standin_provider.api import Rejected
from fleetform.standin_provider.base import (
    API,
    Resource,
    State,
    any_to_int,
    any_to_records,
    any_to_string,
    integer,
    text,
)
from fleetform.standin_provider.diagnostics import Failure, crash
from fleetform.standin_provider.planning import PlanRules


class NicResource(Resource):
    type_name: ClassVar[str] = "hypercore_nic"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id", "mac_address"}))
    integers: ClassVar[dict[str, int]] = {"vlan": 64}

    def create(self, plan: State) -> State:
        vm_uuid = text(plan["vm_uuid"])
        self.call.about(f"{text(plan['type'])} VLAN {integer(plan['vlan'])} on VM {vm_uuid}")
        payload: dict[str, Any] = {
            "virDomainUUID": vm_uuid,
            "type": text(plan["type"]),
            "vlan": integer(plan["vlan"]),
        }
        if text(plan["mac_address"]):
            payload["macAddress"] = text(plan["mac_address"])
        try:
            task = self.api.create(f"{API}/VirDomainNetDevice", payload)
        except Rejected as rejected:
            raise crash(
                f"runtime error: invalid memory address or nil pointer dereference ({rejected.error})"
            ) from None
        self.api.wait(task)
        nic = self._nic(task.created_uuid)
        if nic is None:
            raise crash("runtime error: invalid memory address or nil pointer dereference")
        return {**plan, "id": task.created_uuid, "mac_address": any_to_string(nic.get("macAddress"))}

    def read(self, state: State) -> State:
        nic_uuid, vm_uuid = text(state["id"]), text(state["vm_uuid"])
        self.call.about(f"{text(state['type'])} VLAN {integer(state['vlan'])} on VM {vm_uuid}")
        nic = self._nic(nic_uuid)
        if nic is None:
            raise Failure("NIC not found\n", f"NIC not found - nicUUID={nic_uuid}, vmUUID={vm_uuid}.\n")
        return {
            **state,
            "id": nic_uuid,
            "vm_uuid": any_to_string(nic.get("virDomainUUID")),
            "type": any_to_string(nic.get("type")),
            "vlan": any_to_int(nic.get("vlan")),
            "mac_address": any_to_string(nic.get("macAddress")),
        }

    def update(self, prior: State, plan: State) -> State:
        nic_uuid, vm_uuid = text(plan["id"]), text(plan["vm_uuid"])
        self.call.about(f"{text(plan['type'])} VLAN {integer(plan['vlan'])} on VM {vm_uuid}")
        payload = {
            "virDomainUUID": vm_uuid,
            "type": text(plan["type"]),
            "vlan": integer(plan["vlan"]),
            "macAddress": text(plan["mac_address"]),
        }
        try:
            self.api.wait(self.api.update(f"{API}/VirDomainNetDevice/{nic_uuid}", payload))
        except Rejected as rejected:
            self.call.warn(
                "HC3 is receiving too many requests at the same time.",
                "Please retry apply after Terraform finishes it's current operation. "
                f"HC3 response message: {rejected.error}",
            )
        if self._nic(nic_uuid) is None:
            raise Failure("NIC not found", f"NIC not found - nicUUID={nic_uuid}, vmUUID={vm_uuid}.")
        return plan

    def delete(self, state: State) -> None:
        self.call.about(f"{text(state['type'])} VLAN {integer(state['vlan'])} on VM {text(state['vm_uuid'])}")
        self.api.wait(self.api.delete(f"{API}/VirDomainNetDevice/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        parts = import_id.split(":")
        if len(parts) != 3:
            raise Failure(
                "NIC import requires a composite ID",
                "NIC import composite ID format is 'vm_uuid:nic_type:nic_vlan'. "
                f"ID='{import_id}' is invalid.",
            )
        vm_uuid, nic_type = parts[0], parts[1]
        vlan = any_to_int(parts[2])
        self.call.about(f"{nic_type} VLAN {vlan} on VM {vm_uuid}")
        for nic in any_to_records(self.api.vm(vm_uuid).get("netDevs")):
            if any_to_int(nic.get("vlan")) == vlan and any_to_string(nic.get("type")) == nic_type:
                return {
                    "id": any_to_string(nic.get("uuid")),
                    "vm_uuid": vm_uuid,
                    "type": nic_type,
                    "vlan": vlan,
                    "mac_address": any_to_string(nic.get("macAddress")),
                }
        raise Failure(
            "NIC import error, NIC not found",
            f"NIC import, NIC not found -  'vm_uuid:nic_type:nic_vlan'='{import_id}'.",
        )

    def _nic(self, nic_uuid: str) -> dict[str, Any] | None:
        return self.api.record(f"{API}/VirDomainNetDevice/{nic_uuid}")
