"""``hypercore_vm_power_state`` (``hypercore_vm_power_state_resource.go``, ``utils/vm_power_state.go``).

RUNNING sends START, SHUTOFF an ACPI SHUTDOWN (then waits up to 300 s for SHUTOFF), PAUSED sends PAUSE, and
``force_shutoff`` sends STOP; an action HyperCore refuses is only a warning, and the VM's live state must then
match. Read takes ``state`` from the VM's ``desiredDisposition`` and rebuilds the computed ``vm`` details.
Delete shuts the VM down.

The real provider's in-place update never sets ``vm``, which the plan marked unknown, so Terraform reports
"Provider returned invalid result object after apply" for every in-place change (the other values are still
saved and the next refresh repairs ``vm``); the stand-in returns the same unknown.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import Resource, State, any_to_string, flag, integer, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import (
    get_vm_power_state,
    modify_vm_power_state,
    needed_action,
    shutdown_vm,
    validate_power_state,
    wait_guest_network,
)
from fleetform.standin_provider.virdomain import get_one_vm_with_error, vm_details


class VmPowerStateResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm_power_state"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id"}))
    integers: ClassVar[dict[str, int]] = {"wait_for_guest_net_timeout": 32}

    def create(self, plan: State) -> State:
        self.rest  # noqa: B018 - "Unconfigured HTTP Client" comes first, as in the Go code
        self._apply(plan)
        vm_uuid = text(plan["vm_uuid"])
        vm, _ = get_one_vm_with_error(self.rest, vm_uuid)
        if vm is None:
            raise Failure("VM not found", f"VM not found - vmUUID={vm_uuid}")
        return {**plan, "id": vm_uuid, "vm": vm_details(vm)}

    def read(self, state: State) -> State:
        vm_uuid = text(state["vm_uuid"])
        vm, _ = get_one_vm_with_error(self.rest, vm_uuid)
        if vm is None:
            raise Failure("VM not found", f"VM not found - vmUUID={vm_uuid}")
        uuid = any_to_string(vm.get("uuid"))
        disposition = any_to_string(vm.get("desiredDisposition"))
        return {**state, "id": vm_uuid, "vm_uuid": uuid, "state": disposition, "vm": vm_details(vm)}

    def update(self, prior: State, plan: State) -> State:
        self._apply(plan)
        return plan  # ``vm`` stays unknown, as the Go code leaves it

    def delete(self, state: State) -> None:
        failure = shutdown_vm(self.rest, text(state["vm_uuid"]))
        if failure is not None:
            raise Failure("Client Error", f"Unable to shutdown VM before, got error: {failure.go_string()}")

    def import_state(self, import_id: str) -> State:
        vm, _ = get_one_vm_with_error(self.rest, import_id)
        if vm is None:
            raise Failure(
                "VM State import error, VM not found",
                f"VM State import, VM not found -  'vm_uuid'='{import_id}'.",
            )
        return {"id": import_id, "vm_uuid": import_id, "state": any_to_string(vm.get("desiredDisposition"))}

    def _apply(self, plan: State) -> None:
        """What Create and Update share: validate, act, check the live state, wait for an IP address."""
        vm_uuid, wanted = text(plan["vm_uuid"]), text(plan["state"])
        invalid = validate_power_state(wanted)
        if invalid is not None:
            raise invalid
        warning = modify_vm_power_state(
            self.rest, vm_uuid, needed_action(wanted, flag(plan["force_shutoff"]))
        )
        if warning is not None:
            self.call.warn(warning.summary, warning.detail)
        current, failure = get_vm_power_state(self.rest, vm_uuid)
        if failure is not None:
            raise failure
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
            wait_guest_network(self.rest, vm_uuid, timeout)
