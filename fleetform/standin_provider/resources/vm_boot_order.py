"""``hypercore_vm_boot_order`` (``hypercore_vm_boot_order_resource.go``, ``utils/vm_boot_order.go``).

``POST /rest/v1/VirDomain/{uuid} {"bootDevices": [...]}`` (a POST, not a PATCH); a rejected call is only a
warning. The id is the VM UUID; read refreshes ``boot_devices``; delete leaves the order on the VM.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.api import Rejected
from fleetform.standin_provider.base import API, Resource, State, any_to_string, any_to_strings, strings, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import vm_record


class VmBootOrderResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm_boot_order"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id"}))

    def create(self, plan: State) -> State:
        vm_uuid = text(plan["vm_uuid"])
        self.call.about(f"of VM {vm_uuid}")
        self._set(vm_uuid, strings(plan["boot_devices"]))
        return {**plan, "id": vm_uuid}

    def read(self, state: State) -> State:
        vm_uuid = text(state["vm_uuid"])
        self.call.about(f"of VM {vm_uuid}")
        vm = self._vm(vm_uuid)
        return {
            **state,
            "id": vm_uuid,
            "vm_uuid": any_to_string(vm.get("uuid")),
            "boot_devices": any_to_strings(vm.get("bootDevices")),
        }

    def update(self, prior: State, plan: State) -> State:
        vm_uuid = text(plan["vm_uuid"])
        self.call.about(f"of VM {vm_uuid}")
        self._set(vm_uuid, strings(plan["boot_devices"]))
        self._vm(vm_uuid)
        return plan

    def delete(self, state: State) -> None:
        """The real provider leaves the boot order on the VM."""

    def import_state(self, import_id: str) -> State:
        try:
            vm = vm_record(self.api, import_id)
        except Failure:
            raise Failure(
                "VM Boot Order import error, VM not found",
                f"VM Boot Order import, VM not found -  'vm_uuid'='{import_id}'.",
            ) from None
        return {"id": import_id, "vm_uuid": import_id, "boot_devices": any_to_strings(vm.get("bootDevices"))}

    def _set(self, vm_uuid: str, devices: list[str]) -> None:
        try:
            task = self.api.create(f"{API}/VirDomain/{vm_uuid}", {"bootDevices": devices})
        except Rejected as rejected:
            self.call.warn(
                "HC3 is receiving too many requests at the same time.",
                "Please retry apply after Terraform finishes it's current operation. "
                f"HC3 response message: {rejected.error}",
            )
            return
        self.api.wait(task)

    def _vm(self, vm_uuid: str) -> dict[str, object]:
        try:
            return vm_record(self.api, vm_uuid)
        except Failure:
            raise Failure("VM not found", f"VM not found - vmUUID={vm_uuid}") from None
