"""Power states are replaced, never updated in place: the workaround for the provider's power-state update bug.

The real provider (v1.4.0) marks ``hypercore_vm_power_state.vm`` computed without a plan modifier, and its
Update never sets it: every in-place change of ``state`` (a VM stopped or started outside fleetform, or a
manifest's ``state:`` edited) ends with Terraform's "Provider returned invalid result object after apply …
unknown value for hypercore_vm_power_state.<vm>.vm", exit 1, and the dependent resources unapplied. The
stand-in keeps that bug on purpose; fleetform works around it here, so the same fix holds on a real cluster.

After a plan, every ``hypercore_vm_power_state`` the plan would update in place is planned again as a replace
(``-replace``): Delete, then Create, both of which set ``vm`` properly. Why that is safe with the real provider
(``hypercore_vm_power_state_resource.go``, ``utils/vm_power_state.go``, v1.4.0):

- Delete is ``ShutdownVM``: nothing when the VM is already SHUTOFF (a VM stopped outside fleetform, to be
  started again); otherwise an ACPI shutdown, then a forced STOP after ``HC_VM_SHUTDOWN_TIMEOUT``. It only
  runs when the wanted state differs from the VM's, and a VM that must be RUNNING is then SHUTOFF already; a
  VM that must be SHUTOFF is shut down, which is the change asked for (the review already says "ACPI shutdown,
  then a forced stop after the timeout" for a power-off).
- Create sends the action for the wanted state (START, SHUTDOWN, PAUSE); a rejected action is only a warning,
  and Create then checks the VM's live state against the wanted one, as Update would. It touches no disk, NIC
  or VM attribute, and the resource's id is the VM's UUID either way, so nothing that refers to it changes.
- Nothing else is replaced: ``-replace`` names exactly the power states the first plan updated in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

POWER_STATE = "hypercore_vm_power_state"


def in_place_power_updates(plan_json: Mapping[str, Any]) -> list[str]:
    """The ``hypercore_vm_power_state`` addresses that a plan (``terraform show -json``) updates in place."""
    return sorted(
        str(rc.get("address"))
        for rc in plan_json.get("resource_changes") or []
        if rc.get("type") == POWER_STATE
        and rc.get("mode") == "managed"
        and (rc.get("change") or {}).get("actions") == ["update"]
    )
