"""``hypercore_vm_boot_order`` (``hypercore_vm_boot_order_resource.go``, ``utils/vm_boot_order.go``).

``POST /rest/v1/VirDomain/{uuid} {"bootDevices": [...]}`` (a POST, not a PATCH); an answer without a task tag
is only a warning and the order is saved as if applied. The id is the VM UUID; read refreshes
``boot_devices``; delete sends nothing and leaves the order on the VM.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import API, Resource, State, any_to_string, any_to_strings, strings, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import busy
from fleetform.standin_provider.virdomain import get_one_vm_with_error


class VmBootOrderResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm_boot_order"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id"}))

    def create(self, plan: State) -> State:
        self.rest  # noqa: B018 - "Unconfigured HTTP Client" comes first, as in the Go code
        vm_uuid = text(plan["vm_uuid"])
        self._modify(vm_uuid, strings(plan["boot_devices"]))
        return {**plan, "id": vm_uuid}

    def read(self, state: State) -> State:
        vm_uuid = text(state["vm_uuid"])
        vm, _ = get_one_vm_with_error(self.rest, vm_uuid)
        if vm is None:
            raise Failure("VM not found", f"VM not found - vmUUID={vm_uuid}")
        return {
            **state,
            "id": vm_uuid,
            "vm_uuid": any_to_string(vm.get("uuid")),
            "boot_devices": any_to_strings(vm.get("bootDevices")),
        }

    def update(self, prior: State, plan: State) -> State:
        vm_uuid = text(plan["vm_uuid"])
        self._modify(vm_uuid, strings(plan["boot_devices"]))
        vm, _ = get_one_vm_with_error(self.rest, vm_uuid)
        if vm is None:
            raise Failure("VM not found", f"VM not found - vmUUID={vm_uuid}.")
        return plan

    def delete(self, state: State) -> None:
        """The real provider sends nothing: the boot order stays on the VM."""

    def import_state(self, import_id: str) -> State:
        vm, _ = get_one_vm_with_error(self.rest, import_id)
        if vm is None:
            raise Failure(
                "VM Boot Order import error, VM not found",
                f"VM Boot Order import, VM not found -  'vm_uuid'='{import_id}'.",
            )
        return {"id": import_id, "vm_uuid": import_id, "boot_devices": any_to_strings(vm.get("bootDevices"))}

    def _modify(self, vm_uuid: str, devices: list[str]) -> None:
        """``ModifyVMBootOrder``: HyperCore's error text becomes a warning."""
        task, _, error = self.rest.create_record(f"{API}/VirDomain/{vm_uuid}", {"bootDevices": devices})
        if error is not None:
            warning = busy(error)
            self.call.warn(warning.summary, warning.detail)
            return
        self.rest.wait_task(task)
