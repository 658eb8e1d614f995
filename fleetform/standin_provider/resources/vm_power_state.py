"""``hypercore_vm_power_state`` (``hypercore_vm_power_state_resource.go``, ``utils/vm_power_state.go``).

RUNNING sends START, SHUTOFF an ACPI SHUTDOWN (then waits for SHUTOFF), PAUSED sends PAUSE, and
``force_shutoff`` sends STOP; the VM's live state must then match. Read takes ``state`` from the VM's
``desiredDisposition`` and rebuilds the computed ``vm`` details. Delete shuts the VM down.

The real provider's in-place update never sets ``vm``, which the plan marked unknown, so Terraform reports
"Provider returned invalid result object after apply" for every in-place change; the stand-in reproduces that
(the state is still saved and the next refresh repairs it).
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import Resource, State, any_to_string, flag, integer, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import (
    ACTION_FOR_STATE,
    modify_power_state,
    needed_action,
    power_state,
    shutdown_vm,
    vm_details,
    vm_record,
)


class VmPowerStateResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm_power_state"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id"}))
    integers: ClassVar[dict[str, int]] = {"wait_for_guest_net_timeout": 32}

    def create(self, plan: State) -> State:
        vm_uuid = text(plan["vm_uuid"])
        self.call.about(f"of VM {vm_uuid}")
        self._apply(plan)
        try:
            vm = vm_record(self.api, vm_uuid)
        except Failure:
            raise Failure("VM not found", f"VM not found - vmUUID={vm_uuid}") from None
        return {**plan, "id": vm_uuid, "vm": vm_details(vm)}

    def read(self, state: State) -> State:
        vm_uuid = text(state["vm_uuid"])
        self.call.about(f"of VM {vm_uuid}")
        try:
            vm = vm_record(self.api, vm_uuid)
        except Failure:
            raise Failure("VM not found", f"VM not found - vmUUID={vm_uuid}") from None
        return {
            **state,
            "id": vm_uuid,
            "vm_uuid": any_to_string(vm.get("uuid")),
            "state": any_to_string(vm.get("desiredDisposition")),
            "vm": vm_details(vm),
        }

    def update(self, prior: State, plan: State) -> State:
        self.call.about(f"of VM {text(plan['vm_uuid'])}")
        self._apply(plan)
        return plan

    def delete(self, state: State) -> None:
        vm_uuid = text(state["vm_uuid"])
        self.call.about(f"of VM {vm_uuid}")
        failure = shutdown_vm(self.api, vm_uuid)
        if failure is not None:
            raise Failure("Client Error", f"Unable to shutdown VM before, got error: {failure}")

    def import_state(self, import_id: str) -> State:
        try:
            vm = vm_record(self.api, import_id)
        except Failure:
            raise Failure(
                "VM State import error, VM not found",
                f"VM State import, VM not found -  'vm_uuid'='{import_id}'.",
            ) from None
        return {"id": import_id, "vm_uuid": import_id, "state": any_to_string(vm.get("desiredDisposition"))}

    def _apply(self, plan: State) -> None:
        vm_uuid, wanted = text(plan["vm_uuid"]), text(plan["state"])
        if wanted not in ACTION_FOR_STATE:
            raise Failure(
                "Invalid power state",
                f"Power state '{wanted}' not allowed. Allowed states are: RUNNING, PAUSED, SHUTOFF",
            )
        warning = modify_power_state(self.api, vm_uuid, needed_action(wanted, flag(plan["force_shutoff"])))
        if warning:
            self.call.warn(*warning)
        current = power_state(self.api, vm_uuid)
        if current != wanted:
            hint = (
                "Use 'force_shutoff' attribute to force the VM to transition into this state."
                if wanted == "SHUTOFF"
                else ""
            )
            raise Failure(
                f"Couldn't transition into the '{wanted}' state.",
                f"VM couldn't be transitioned from '{current}' state into the '{wanted}' state. {hint}",
            )
        timeout = integer(plan["wait_for_guest_net_timeout"])
        if timeout > 0 and current == "RUNNING":
            self.api.poll(lambda: self._has_ipv4(vm_uuid), timeout)

    def _has_ipv4(self, vm_uuid: str) -> bool:
        vm = vm_record(self.api, vm_uuid)
        return any(
            isinstance(nic, dict) and any(isinstance(ip, str) for ip in nic.get("ipv4Addresses") or [])
            for nic in vm.get("netDevs") or []
        )
