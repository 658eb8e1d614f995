"""``hypercore_nic`` (``hypercore_nic_resource.go``, ``utils/nic.go``); imported as ``vm_uuid:TYPE:vlan``.

A create HyperCore refuses ends in a nil pointer panic (the Go code ignores the error and reads the missing
task's UUID); a refused update is only a warning, and the planned values are saved anyway.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fleetform.standin_provider.base import (
    API,
    Record,
    Resource,
    State,
    any_to_int,
    any_to_records,
    any_to_string,
    integer,
    text,
)
from fleetform.standin_provider.diagnostics import Failure, nil_pointer
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import busy
from fleetform.standin_provider.virdomain import get_one_vm


class NicResource(Resource):
    type_name: ClassVar[str] = "hypercore_nic"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id", "mac_address"}))
    integers: ClassVar[dict[str, int]] = {"vlan": 64}

    def create(self, plan: State) -> State:
        rest = self.rest
        payload: dict[str, Any] = {
            "virDomainUUID": text(plan["vm_uuid"]),
            "type": text(plan["type"]),
            "vlan": integer(plan["vlan"]),
        }
        if text(plan["mac_address"]) != "":
            payload["macAddress"] = text(plan["mac_address"])
        task, _, _ = rest.create_record(f"{API}/VirDomainNetDevice", payload)
        rest.wait_task(task)
        if task is None:
            raise nil_pointer()
        nic = self._nic(task.created_uuid)
        if nic is None:
            raise nil_pointer()
        return {**plan, "id": task.created_uuid, "mac_address": any_to_string(nic.get("macAddress"))}

    def read(self, state: State) -> State:
        nic_uuid, vm_uuid = text(state["id"]), text(state["vm_uuid"])
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
        rest = self.rest
        nic_uuid, vm_uuid = text(plan["id"]), text(plan["vm_uuid"])
        payload = {
            "virDomainUUID": vm_uuid,
            "type": text(plan["type"]),
            "vlan": integer(plan["vlan"]),
            "macAddress": text(plan["mac_address"]),
        }
        task, error = rest.update_record(f"{API}/VirDomainNetDevice/{nic_uuid}", payload)
        if error is not None:
            warning = busy(error)
            self.call.warn(warning.summary, warning.detail)
        else:
            rest.wait_task(task)
        if self._nic(nic_uuid) is None:
            raise Failure("NIC not found", f"NIC not found - nicUUID={nic_uuid}, vmUUID={vm_uuid}.")
        return plan

    def delete(self, state: State) -> None:
        rest = self.rest
        rest.wait_task(rest.delete_record(f"{API}/VirDomainNetDevice/{text(state['id'])}"))

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
        for nic in any_to_records(get_one_vm(self.rest, vm_uuid).get("netDevs")):
            if any_to_int(nic.get("vlan")) == vlan and any_to_string(nic.get("type")) == nic_type:
                uuid = any_to_string(nic.get("uuid"))
                mac = any_to_string(nic.get("macAddress"))
                if uuid == "":
                    break
                return {"id": uuid, "vm_uuid": vm_uuid, "type": nic_type, "vlan": vlan, "mac_address": mac}
        raise Failure(
            "NIC import error, NIC not found",
            f"NIC import, NIC not found -  'vm_uuid:nic_type:nic_vlan'='{import_id}'.",
        )

    def _nic(self, nic_uuid: str) -> Record | None:
        """``GetNic``."""
        return self.rest.get_record(f"{API}/VirDomainNetDevice/{nic_uuid}")
