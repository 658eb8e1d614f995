"""``hypercore_vm_replication`` (``hypercore_vm_replication_resource.go``, ``utils/vm_replication.go``).

``POST /rest/v1/VirDomainReplication {sourceDomainUUID, connectionUUID, label, enable}`` (``enable``
defaults to true). The Go code's quirks are kept:

- A missing ``connection_uuid`` is an error, but the request is sent anyway and the state set (Terraform
  keeps the object, tainted).
- HyperCore's HTTP 400 is meant to be an error unless it says "Failed to create replication", but the check
  compares the severity with 0, which no diagnostic has: both become warnings, and the replication is saved
  with an empty id.
- ``target_vm_uuid`` is ``""`` after create (the Go code copies an empty local variable); the next read
  fills it.
- An omitted ``label`` or ``connection_uuid`` stays unknown after create, which Terraform rejects.
- Delete sends nothing: the replication keeps running on HyperCore after a destroy.
"""

from __future__ import annotations

from typing import ClassVar

from tf.types import Unknown

from fleetform.standin_provider.base import API, Record, Resource, State, any_to_bool, any_to_string, text
from fleetform.standin_provider.diagnostics import Failure, nil_pointer
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import busy


class VmReplicationResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm_replication"
    rules: ClassVar[PlanRules] = PlanRules(
        keep_state=frozenset({"id", "target_vm_uuid", "label", "connection_uuid", "enable"})
    )

    def create(self, plan: State) -> State:
        rest = self.rest
        vm_uuid, connection, label = text(plan["vm_uuid"]), text(plan["connection_uuid"]), text(plan["label"])
        enable = True if plan["enable"] is Unknown or plan["enable"] is None else bool(plan["enable"])
        if connection == "":
            self.call.add_error(
                "Missing connection_uuid",
                "Parameter 'connection_uuid' is required for creating a VM replication",
            )
        # CreateVMReplication
        replication_uuid, replication = "", None
        payload = {
            "sourceDomainUUID": vm_uuid,
            "connectionUUID": connection,
            "label": label,
            "enable": enable,
        }
        task, status, error = rest.create_record(f"{API}/VirDomainReplication", payload)
        if status == 400 and error is not None:
            if "Failed to create replication" in error:
                detail = (
                    f"VM replication failed. Source VM '{vm_uuid}' might already have configured replication. "
                    f"Response message: {error}"
                )
            else:
                detail = (
                    "Something unexpected happened while attempting to create replication for VM "
                    f"'{vm_uuid}'. Response message: {error}"
                )
            # The Go code means an error here, but tests Severity() == 0, which no diagnostic has.
            self.call.warn("Couldn't create a VM replication", detail)
        else:
            rest.wait_task(task)
            if task is None:
                raise nil_pointer()
            replication_uuid = task.created_uuid
            replication = self._replication(replication_uuid)
            if replication is None:
                raise nil_pointer()
        del replication  # the Go code reads targetDomainUUID from it, then assigns an empty string
        return {**plan, "id": replication_uuid, "target_vm_uuid": "", "enable": enable}

    def read(self, state: State) -> State:
        uuid = text(state["id"])
        replication = self._replication(uuid)
        if replication is None:
            raise Failure("VM not found", f"VM replication not found - replicationUUID={uuid}")
        return {
            **state,
            "id": uuid,
            "target_vm_uuid": any_to_string(replication.get("targetDomainUUID")),
            "vm_uuid": any_to_string(replication.get("sourceDomainUUID")),
            "connection_uuid": any_to_string(replication.get("connectionUUID")),
            "label": any_to_string(replication.get("label")),
            "enable": any_to_bool(replication.get("enable")),
        }

    def update(self, prior: State, plan: State) -> State:
        rest = self.rest
        uuid, vm_uuid = text(plan["id"]), text(plan["vm_uuid"])
        connection, label = text(plan["connection_uuid"]), text(plan["label"])
        enable = True if plan["enable"] is Unknown or plan["enable"] is None else bool(plan["enable"])
        if connection == "":
            self.call.add_error(
                "Missing connection_uuid",
                "Parameter 'connection_uuid' is required for updating a VM replication",
            )
        # UpdateVMReplication (v1.4.0 sends sourceDomainUUID in the PATCH too)
        payload = {
            "sourceDomainUUID": vm_uuid,
            "connectionUUID": connection,
            "label": label,
            "enable": enable,
        }
        task, error = rest.update_record(f"{API}/VirDomainReplication/{uuid}", payload)
        if error is not None:
            warning = busy(error)
            self.call.warn(warning.summary, warning.detail)
        else:
            rest.wait_task(task)
        if self._replication(uuid) is None:
            raise Failure("VM replication not found", f"VM replication not found - replicationUUID={uuid}.")
        return {**plan, "enable": enable}

    def delete(self, state: State) -> None:
        """The real provider sends nothing: HyperCore keeps replicating."""

    def import_state(self, import_id: str) -> State:
        replication = self._replication(import_id)
        if replication is None:
            raise Failure(
                "VM Replication import error, VM not found",
                f"VM Replication import, VM not found -  'replication_uuid'='{import_id}'.",
            )
        vm_uuid = any_to_string(replication.get("sourceDomainUUID"))
        target = any_to_string(replication.get("targetDomainUUID"))
        connection = any_to_string(replication.get("connectionUUID"))
        label = any_to_string(replication.get("label"))
        enable = any_to_bool(replication.get("enable"))
        return {
            "id": import_id,
            "target_vm_uuid": target,
            "vm_uuid": vm_uuid,
            "connection_uuid": connection,
            "label": label,
            "enable": enable,
        }

    def _replication(self, uuid: str) -> Record | None:
        """``GetVMReplicationByUUID``."""
        return self.rest.get_record(f"{API}/VirDomainReplication/{uuid}")
