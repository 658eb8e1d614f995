"""VM power handling shared by ``hypercore_vm`` and ``hypercore_vm_power_state``.

Mirrors ``utils/vm_power_state.go`` (the power action and the wait for SHUTOFF after an ACPI SHUTDOWN, at
most 300 s), ``ShutdownVM`` in ``hypercore_vm_resource.go`` (ACPI, then a forced STOP, each waited for up to
``HC_VM_SHUTDOWN_TIMEOUT`` seconds, default 300, read when needed) and the VM struct's shutdown steps in
``utils/vm.go`` used after a create changed vcpu or memory. The Go code sleeps 5 or 10 s between checks;
:meth:`~fleetform.standin_provider.rest.RestClient.poll` checks sooner with the same time limits.

A ``diag.Diagnostic`` the Go code returns is a :class:`Failure` value here (returned, not raised).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from fleetform.standin_provider.base import API, Record, any_to_string
from fleetform.standin_provider.diagnostics import Failure, crash, nil_pointer
from fleetform.standin_provider.virdomain import get_one_vm_with_error

if TYPE_CHECKING:
    from fleetform.standin_provider.rest import RestClient

ALLOWED_POWER_STATES = ("RUNNING", "PAUSED", "SHUTOFF")
NEEDED_ACTION_FOR_POWER_STATE = {"RUNNING": "START", "SHUTOFF": "SHUTDOWN", "PAUSED": "PAUSE"}
TERRAFORM_TO_HYPERCORE_ACTION = {
    "start": "START",
    "shutdown": "SHUTDOWN",
    "stop": "STOP",
    "reboot": "REBOOT",
    "reset": "RESET",
    "started": "START",
}
SHUTDOWN_TIMEOUT_SECONDS = 300
SHUTDOWN_TIMEOUT_ENV = "HC_VM_SHUTDOWN_TIMEOUT"
BUSY = "HC3 is receiving too many requests at the same time."


def busy(message: str) -> Failure:
    """The warning most callers give when HyperCore answers without a task tag."""
    return Failure(
        BUSY,
        f"Please retry apply after Terraform finishes it's current operation. HC3 response message: {message}",
    )


def needed_action(state: str, force_shutoff: bool) -> str:
    """``GetNeededActionForState``."""
    return "STOP" if force_shutoff else NEEDED_ACTION_FOR_POWER_STATE.get(state, "")


def validate_power_state(state: str) -> Failure | None:
    """``ValidatePowerState``."""
    if state in ALLOWED_POWER_STATES:
        return None
    return Failure(
        "Invalid power state",
        f"Power state '{state}' not allowed. Allowed states are: RUNNING, PAUSED, SHUTOFF",
    )


def get_vm_power_state(rest: RestClient, uuid: str) -> tuple[str, Failure | None]:
    """``GetVMPowerState``: the live ``state``."""
    vm, error = get_one_vm_with_error(rest, uuid)
    if vm is None:
        return "", Failure("VM not found", str(error))
    return any_to_string(vm.get("state")), None


def get_vm_desired_state(rest: RestClient, uuid: str) -> tuple[str, Failure | None]:
    """``GetVMDesiredState``: ``desiredDisposition``."""
    vm, error = get_one_vm_with_error(rest, uuid)
    if vm is None:
        return "", Failure("VM not found", str(error))
    return any_to_string(vm.get("desiredDisposition")), None


def modify_vm_power_state(rest: RestClient, uuid: str, action: str) -> Failure | None:
    """``ModifyVMPowerState``: send the action and wait; a SHUTDOWN waits up to 300 s for SHUTOFF.

    An answer without a task tag comes back as a warning, and nothing is waited for.
    """
    body = [{"virDomainUUID": uuid, "actionType": action, "cause": "INTERNAL"}]
    task, _, error = rest.create_record_with_list(f"{API}/VirDomain/action", body)
    if error is not None:
        return busy(error)
    rest.wait_task(task)
    if action == "SHUTDOWN":
        # HyperCore acknowledges an ACPI shutdown with an empty task tag; waitVMPowerState ignores errors.
        rest.poll(lambda: get_vm_power_state(rest, uuid)[0] == "SHUTOFF", SHUTDOWN_TIMEOUT_SECONDS, 10)
    return None


def shutdown_vm(rest: RestClient, uuid: str) -> Failure | None:
    """``ShutdownVM``: ACPI shutdown unless one is under way, wait, then STOP and wait; the diagnostic, if any."""
    state, failure = get_vm_power_state(rest, uuid)
    if failure is not None:
        return failure
    if state == "SHUTOFF":
        return None
    desired, failure = get_vm_desired_state(rest, uuid)
    if failure is not None:
        return failure
    if desired != "SHUTOFF":
        failure = modify_vm_power_state(rest, uuid, "SHUTDOWN")
        if failure is not None:
            return failure
    max_wait, failure = _shutdown_timeout()
    if failure is not None:
        return failure
    stopped, failure = _wait_shutoff(rest, uuid, max_wait)
    if stopped or failure is not None:
        return failure
    failure = modify_vm_power_state(rest, uuid, "STOP")
    if failure is not None:
        return failure
    stopped, failure = _wait_shutoff(rest, uuid, max_wait)
    if stopped or failure is not None:
        return failure
    return Failure("Error Shutting down VM", "Unable to shutdown VM with ACPI shutdown or force shutdown.")


def _shutdown_timeout() -> tuple[int, Failure | None]:
    raw = os.environ.get(SHUTDOWN_TIMEOUT_ENV, "")
    if not raw:
        return SHUTDOWN_TIMEOUT_SECONDS, None
    if re.fullmatch(r"[+-]?[0-9]+", raw) is None:
        reason = f'strconv.Atoi: parsing "{raw}": invalid syntax'
    elif not -(2**63) <= int(raw) < 2**63:
        reason = f'strconv.Atoi: parsing "{raw}": value out of range'
    else:
        return int(raw), None
    message = (
        f"TTRT HypercoreVMResource Destroy, environ {SHUTDOWN_TIMEOUT_ENV}={raw} is not number, err={reason}"
    )
    return 0, Failure(f"Invalid environ variable {SHUTDOWN_TIMEOUT_ENV}", message)


def _wait_shutoff(rest: RestClient, uuid: str, max_wait: int) -> tuple[bool, Failure | None]:
    """The two waiting loops of ``ShutdownVM``: check, stop once ``waitTime`` (5 s steps) exceeds ``max_wait``."""
    failures: list[Failure] = []

    def done() -> bool:
        state, failure = get_vm_power_state(rest, uuid)
        if failure is not None:
            failures.append(failure)
        return failure is not None or state == "SHUTOFF"

    limit = (max_wait // 5 + 1) * 5 if max_wait >= 0 else 0
    stopped = rest.poll(done, limit, 5)
    return stopped and not failures, failures[0] if failures else None


class ShutdownSteps:
    """The VM struct's power steps (``utils/vm.go``) that ``SetVMParams`` takes after a create."""

    def __init__(self, rest: RestClient, vm_name: str):
        self.rest = rest
        self.vm_name = vm_name
        self.tried: set[str] = set()

    def update_power_state(self, vm: Record, action: str, ignore_repeated: bool) -> None:
        """``UpdatePowerState``: each action once; a rejected action is silently dropped."""
        if "state" not in vm:
            raise crash("No information about VM's power state.")
        if action in self.tried:
            if ignore_repeated:
                return
            flag = {"shutdown": "NiceShutdown", "stop": "ForceShutdown"}.get(action, action.capitalize())
            raise crash(f"VM _was{flag}Tried already set")
        self.tried.add(action)
        body = [
            {
                "virDomainUUID": vm.get("uuid"),
                "actionType": TERRAFORM_TO_HYPERCORE_ACTION[action],
                "cause": "INTERNAL",
            }
        ]
        task, _, error = self.rest.create_record_with_list(f"{API}/VirDomain/action", body)
        if error is not None:
            return
        self.rest.wait_task(task)

    def do_shutdown_steps(self, uuid: str, timeout: int = SHUTDOWN_TIMEOUT_SECONDS) -> None:
        """``DoShutdownSteps``: ACPI shutdown and wait, else a forced STOP (never powered on again)."""
        if not self._wait_shutdown(uuid, timeout) and not self._shutdown_forced(uuid):
            raise crash(
                f"VM - {self.vm_name} - needs to be powered off and is not responding to a shutdown request."
            )

    def _fresh(self, uuid: str) -> Record:
        vm = self.rest.get_record(f"{API}/VirDomain/{uuid}", {}, True)
        if vm is None:
            raise nil_pointer()
        return vm

    def _wait_shutdown(self, uuid: str, timeout: int) -> bool:
        vm = self._fresh(uuid)
        if vm.get("state") in ("SHUTOFF", "SHUTDOWN"):
            return True
        if vm.get("state") == "RUNNING" and "shutdown" not in self.tried:
            self.update_power_state(vm, "shutdown", False)
            return self.rest.poll(
                lambda: self._fresh(uuid).get("state") in ("SHUTDOWN", "SHUTOFF"), timeout, 10
            )
        return False

    def _shutdown_forced(self, uuid: str) -> bool:
        vm = self._fresh(uuid)
        if vm.get("state") in ("SHUTOFF", "SHUTDOWN"):
            return True
        self.update_power_state(vm, "stop", False)
        return True


def wait_guest_network(rest: RestClient, uuid: str, timeout: int) -> bool:
    """``WaitGuestNetwork``: wait until a NIC reports an IPv4 address; timing out is not an error."""

    def has_ipv4() -> bool:
        vm = rest.get_record(f"{API}/VirDomain/{uuid}", {}, True)
        if vm is None:
            raise nil_pointer()
        net_devs = vm.get("netDevs")
        return any(
            isinstance(address, str)
            for nic in (net_devs if isinstance(net_devs, list) else [])
            if isinstance(nic, dict) and isinstance(nic.get("ipv4Addresses"), list)
            for address in nic["ipv4Addresses"]
        )

    return rest.poll(has_ipv4, timeout, 10)
