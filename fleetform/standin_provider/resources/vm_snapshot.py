"""``hypercore_vm_snapshot`` (``hypercore_vm_snapshot.go``, ``utils/vm_snapshot.go``).

``POST /rest/v1/VirDomainSnapshot`` with the API's defaults for the fields the provider has no attributes
for. ``label`` is optional in the schema but a create without one fails ("Snapshots must be labeled"). An
answer without a task tag is only a warning: the snapshot is then saved with an empty id. Update is empty
(HyperCore has no update for snapshots): the framework keeps the prior state, so changing ``label`` or
``vm_uuid`` ends in Terraform's "Provider produced inconsistent result after apply", and nothing changes on
the cluster. Read of a snapshot that is gone is an error.
"""

from __future__ import annotations

from typing import ClassVar

from tf.types import Unknown

from fleetform.standin_provider.base import API, Record, Resource, State, any_to_string, text
from fleetform.standin_provider.diagnostics import Failure, nil_pointer
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import busy


class VmSnapshotResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm_snapshot"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id", "type"}))

    def create(self, plan: State) -> State:
        rest = self.rest
        vm_uuid, label = text(plan["vm_uuid"]), text(plan["label"])
        if label == "" or plan["label"] is Unknown or plan["label"] is None:
            raise Failure("Missing 'label' parameter", "Snapshots must be labeled")
        payload = {
            "domainUUID": vm_uuid,
            "label": label,
            "type": "USER",
            # the API's defaults, which it requires to be present
            "automatedTriggerTimestamp": 0,
            "localRetainUntilTimestamp": 0,
            "remoteRetainUntilTimestamp": 0,
            "blockCountDiffFromSerialNumber": -1,
            "replication": True,
        }
        # CreateVMSnapshot
        snapshot_uuid = ""
        task, _, error = rest.create_record(f"{API}/VirDomainSnapshot", payload)
        if error is not None:
            warning = busy(error)
            self.call.warn(warning.summary, warning.detail)
        else:
            rest.wait_task(task)
            if task is None:
                raise nil_pointer()
            snapshot_uuid = task.created_uuid
            if self._snapshot(snapshot_uuid) is None:
                raise nil_pointer()
        return {**plan, "id": snapshot_uuid, "type": "USER"}

    def read(self, state: State) -> State:
        uuid = text(state["id"])
        snapshot = self._snapshot(uuid)
        if snapshot is None:
            raise Failure("Snapshot not found", f"Snapshot not found - snapUUID={uuid}")
        vm_uuid = any_to_string(snapshot.get("domainUUID"))
        label = any_to_string(snapshot.get("label"))
        kind = any_to_string(snapshot.get("type"))
        return {**state, "id": uuid, "vm_uuid": vm_uuid, "label": label, "type": kind}

    def update(self, prior: State, plan: State) -> State:
        """Empty in the Go code: nothing is sent and the prior state stays."""
        return prior

    def delete(self, state: State) -> None:
        rest = self.rest
        rest.wait_task(rest.delete_record(f"{API}/VirDomainSnapshot/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        snapshot = self._snapshot(import_id)
        if snapshot is None:
            raise Failure(
                "VM Snapshot import error, snapshot not found",
                f"VM Snapshot import, snapshot not found -  'snap_uuid'='{import_id}'.",
            )
        kind = any_to_string(snapshot.get("type"))
        label = any_to_string(snapshot.get("label"))
        vm_uuid = any_to_string(snapshot.get("domainUUID"))
        return {"id": import_id, "vm_uuid": vm_uuid, "type": kind, "label": label}

    def _snapshot(self, uuid: str) -> Record | None:
        """``GetVMSnapshotByUUID``."""
        return self.rest.get_record(f"{API}/VirDomainSnapshot/{uuid}")
