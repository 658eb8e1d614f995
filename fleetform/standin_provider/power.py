"""VM power handling shared by ``hypercore_vm`` and ``hypercore_vm_power_state`` (``utils/vm_power_state.go``,
``ShutdownVM`` in the VM resource, the reboot steps of ``utils/vm.go``), and the VM details both the power
state's ``vm`` attribute and the ``hypercore_vms`` data source report.

The real provider sleeps 5-10 s between power-state polls; the stand-in polls faster (see ``Api.poll``) with
the same overall time limits, except that the wait after an ACPI SHUTDOWN (300 s in the Go code) is capped
at ``HC_VM_SHUTDOWN_TIMEOUT`` so a test can make a VM that ignores ACPI fail over to STOP quickly.
"""

from __future__ import annotations

import os
from typing import Any

from fleetform.standin_provider.api import API, Api, Rejected
from fleetform.standin_provider.base import (
    any_to_bool,
    any_to_int,
    any_to_records,
    any_to_string,
    any_to_strings,
)
from fleetform.standin_provider.diagnostics import Failure

ACTION_FOR_STATE = {"RUNNING": "START", "SHUTOFF": "SHUTDOWN", "PAUSED": "PAUSE"}
ACPI_WAIT_SECONDS = 300
SHUTDOWN_TIMEOUT_ENV = "HC_VM_SHUTDOWN_TIMEOUT"
OFF_STATES = ("SHUTOFF", "SHUTDOWN")


def needed_action(state: str, force_shutoff: bool) -> str:
    """``GetNeededActionForState``."""
    return "STOP" if force_shutoff else ACTION_FOR_STATE.get(state, "")


def vm_record(api: Api, uuid: str) -> dict[str, Any]:
    """``GetOneVMWithError``: the VM, or the real provider's "VM not found" error."""
    found = api.list(f"{API}/VirDomain/{uuid}")
    if not found:
        raise Failure("VM not found", f"vm not found - vmUUID={uuid}")
    return found[0]


def power_state(api: Api, uuid: str) -> str:
    """``GetVMPowerState``: the live ``state``."""
    return any_to_string(vm_record(api, uuid).get("state"))


def modify_power_state(api: Api, uuid: str, action: str) -> tuple[str, str] | None:
    """``ModifyVMPowerState``: send the action and wait; a rejected call is returned as a warning."""
    body = [{"virDomainUUID": uuid, "actionType": action, "cause": "INTERNAL"}]
    try:
        task = api.create_list(f"{API}/VirDomain/action", body)
    except Rejected as rejected:
        return (
            "HC3 is receiving too many requests at the same time.",
            "Please retry apply after Terraform finishes it's current operation. "
            f"HC3 response message: {rejected.error}",
        )
    api.wait(task)
    if action == "SHUTDOWN":
        # HyperCore acknowledges an ACPI shutdown at once; the provider then watches the VM's state.
        api.poll(
            lambda: power_state(api, uuid) == "SHUTOFF",
            min(ACPI_WAIT_SECONDS, _shutdown_timeout_or_default()),
        )
    return None


def shutdown_vm(api: Api, uuid: str) -> Failure | None:
    """``ShutdownVM``: ACPI shutdown, wait, forced STOP, wait; what went wrong, if anything."""
    try:
        if power_state(api, uuid) == "SHUTOFF":
            return None
        if any_to_string(vm_record(api, uuid).get("desiredDisposition")) != "SHUTOFF":
            warning = modify_power_state(api, uuid, "SHUTDOWN")
            if warning:
                return Failure(*warning)
        max_wait = shutdown_timeout()
        if api.poll(lambda: power_state(api, uuid) == "SHUTOFF", max_wait):
            return None
        api.call.warn(
            "VM did not stop after an ACPI shutdown",
            f"VM {uuid} is still running after {max_wait} s ({SHUTDOWN_TIMEOUT_ENV}); forcing it off (STOP).",
        )
        warning = modify_power_state(api, uuid, "STOP")
        if warning:
            return Failure(*warning)
        if api.poll(lambda: power_state(api, uuid) == "SHUTOFF", max_wait):
            return None
        return Failure(
            "Error Shutting down VM", "Unable to shutdown VM with ACPI shutdown or force shutdown."
        )
    except Failure as failure:
        return failure


def shutdown_timeout() -> int:
    """``HC_VM_SHUTDOWN_TIMEOUT`` in seconds (default 300), read when it is needed, as the Go code does."""
    raw = os.environ.get(SHUTDOWN_TIMEOUT_ENV, "")
    if not raw:
        return ACPI_WAIT_SECONDS
    try:
        return int(raw)
    except ValueError:
        raise Failure(
            f"Invalid environ variable {SHUTDOWN_TIMEOUT_ENV}",
            f"TTRT HypercoreVMResource Destroy, environ {SHUTDOWN_TIMEOUT_ENV}={raw} is not number, "
            f'err=strconv.Atoi: parsing "{raw}": invalid syntax',
        ) from None


def _shutdown_timeout_or_default() -> int:
    try:
        return shutdown_timeout()
    except Failure:
        return ACPI_WAIT_SECONDS


def reboot_shutdown(api: Api, uuid: str) -> None:
    """``DoShutdownSteps`` after a vcpu/memory change at create: ACPI shutdown, else a forced STOP.

    The real provider ignores rejected power actions here and never powers the VM back on.
    """
    vm = api.vm(uuid)
    state = vm.get("state")
    if state in OFF_STATES:
        return
    if state == "RUNNING":
        _action_ignoring_rejection(api, uuid, "SHUTDOWN")
        if api.poll(lambda: api.vm(uuid).get("state") in OFF_STATES, ACPI_WAIT_SECONDS):
            return
    if api.vm(uuid).get("state") not in OFF_STATES:
        _action_ignoring_rejection(api, uuid, "STOP")


def _action_ignoring_rejection(api: Api, uuid: str, action: str) -> None:
    body = [{"virDomainUUID": uuid, "actionType": action, "cause": "INTERNAL"}]
    try:
        api.wait(api.create_list(f"{API}/VirDomain/action", body))
    except Rejected:
        return


def vm_details(vm: dict[str, Any]) -> dict[str, Any]:
    """``BuildHypercoreVMModelFromAPIData``: a VM as the ``vm``/``vms`` objects describe it."""
    affinity = vm.get("affinityStrategy")
    if not isinstance(affinity, dict):
        affinity = {}
    return {
        "uuid": any_to_string(vm.get("uuid")),
        "name": any_to_string(vm.get("name")),
        "vcpu": any_to_int(vm.get("numVCPU")),
        "memory": any_to_int(vm.get("mem")) // 1024 // 1024,
        "snapshot_schedule_uuid": any_to_string(vm.get("snapshotScheduleUUID")),
        "description": any_to_string(vm.get("description")),
        "power_state": any_to_string(vm.get("state")),
        "tags": any_to_string(vm.get("tags")).split(","),
        "affinity_strategy": {
            "strict_affinity": any_to_bool(affinity.get("strictAffinity")),
            "preferred_node_uuid": any_to_string(affinity.get("preferredNodeUUID")),
            "backup_node_uuid": any_to_string(affinity.get("backupNodeUUID")),
        },
        "disks": [
            {
                "uuid": any_to_string(disk.get("uuid")),
                "type": any_to_string(disk.get("type")),
                "slot": any_to_int(disk.get("slot")),
                "size": float(any_to_int(disk.get("capacity"))) / 1000 / 1000 / 1000,
            }
            for disk in any_to_records(vm.get("blockDevs"))
        ],
        "nics": [
            {
                "uuid": any_to_string(nic.get("uuid")),
                "type": any_to_string(nic.get("type")),
                "vlan": any_to_int(nic.get("vlan")),
                "mac_address": any_to_string(nic.get("macAddress")),
                "ipv4_addresses": any_to_strings(nic.get("ipv4Addresses")),
            }
            for nic in any_to_records(vm.get("netDevs"))
        ],
    }
