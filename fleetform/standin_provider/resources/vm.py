"""``hypercore_vm`` (``hypercore_vm_resource.go`` and ``utils/vm.go``).

Create by clone (adopting an existing VM of the same name), by HyperCore import, or from scratch, then find
the VM by name and PATCH what differs; read refreshes name, description, tags, vcpu, memory, snapshot schedule
and affinity (never clone/import); update PATCHes changed fields plus tags; delete shuts the VM down first.
The real provider's traps are kept: an omitted ``affinity_strategy`` fails, ``tags = []`` (or omitted tags on
update) crashes after the VM exists, and omitted ``vcpu``/``memory`` are sent as 0 on update.
"""

from __future__ import annotations

import base64
import contextlib
from typing import Any, ClassVar

from tf.types import Unknown

from fleetform.standin_provider.api import Rejected
from fleetform.standin_provider.base import (
    API,
    Resource,
    State,
    any_to_bool,
    any_to_int,
    any_to_string,
    integer,
    strings,
    tags_to_comma_string,
    text,
)
from fleetform.standin_provider.diagnostics import Failure, crash
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import reboot_shutdown, shutdown_vm

MIB = 1024 * 1024
AFFINITY_FIELDS = (
    ("strict_affinity", "strictAffinity"),
    ("preferred_node_uuid", "preferredNodeUUID"),
    ("backup_node_uuid", "backupNodeUUID"),
)


class VmResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm"
    rules: ClassVar[PlanRules] = PlanRules(
        defaults={"snapshot_schedule_uuid": "", "clone.preserve_mac_address": False},
        keep_state=frozenset(
            {
                "id",
                "affinity_strategy.strict_affinity",
                "affinity_strategy.preferred_node_uuid",
                "affinity_strategy.backup_node_uuid",
            }
        ),
    )
    integers: ClassVar[dict[str, int]] = {"vcpu": 32, "memory": 64}

    def create(self, plan: State) -> State:
        self.call.about(f'"{text(plan["name"])}"')
        data = dict(plan)
        _require_known_affinity(data)
        affinity = dict(data["affinity_strategy"] or {})
        for name, _ in AFFINITY_FIELDS:
            if affinity.get(name, Unknown) is Unknown:
                affinity[name] = False if name == "strict_affinity" else ""
        data["affinity_strategy"] = affinity

        wanted = _Wanted(data)
        if data["clone"] is not None:
            uuid = self._clone(wanted, data["clone"])
        elif data["import"] is not None:
            imported = self._import(wanted, data["import"])
            if imported is None:
                # Neither or both import kinds: the real provider creates nothing, reports nothing and leaves
                # the id unknown, which Terraform rejects after apply.
                return data
            uuid = imported
        else:
            uuid = self._from_scratch(wanted)
        self._set_params(wanted)
        data["id"] = uuid
        return data

    def read(self, state: State) -> State:
        vm = self.api.vm(text(state["id"]))
        self.call.about(f'"{vm.get("name")}"')
        affinity = vm.get("affinityStrategy")
        if not isinstance(affinity, dict):
            raise crash(f"Unexpected variable where a map[string]any was expected: {affinity}")
        return {
            **state,
            "name": any_to_string(vm.get("name")),
            "description": any_to_string(vm.get("description")),
            "tags": any_to_string(vm.get("tags")).split(","),
            "vcpu": any_to_int(vm.get("numVCPU")),
            "memory": any_to_int(vm.get("mem")) // MIB,
            "snapshot_schedule_uuid": any_to_string(vm.get("snapshotScheduleUUID")),
            "affinity_strategy": {
                "strict_affinity": any_to_bool(affinity.get("strictAffinity")),
                "preferred_node_uuid": any_to_string(affinity.get("preferredNodeUUID")),
                "backup_node_uuid": any_to_string(affinity.get("backupNodeUUID")),
            },
        }

    def update(self, prior: State, plan: State) -> State:
        self.call.about(f'"{text(plan["name"])}"')
        _require_known_affinity(plan)
        payload: dict[str, Any] = {}
        if prior["name"] != plan["name"]:
            payload["name"] = text(plan["name"])
        if prior["description"] != plan["description"]:
            payload["description"] = text(plan["description"])
        if prior["memory"] != plan["memory"]:
            payload["mem"] = integer(plan["memory"]) * MIB
        if prior["vcpu"] != plan["vcpu"]:
            payload["numVCPU"] = integer(plan["vcpu"])
        if prior["snapshot_schedule_uuid"] != plan["snapshot_schedule_uuid"]:
            payload["snapshotScheduleUUID"] = text(plan["snapshot_schedule_uuid"])
        if prior["affinity_strategy"] is None:
            raise crash("runtime error: invalid memory address or nil pointer dereference")
        affinity = {
            wire: plan["affinity_strategy"][name]
            for name, wire in AFFINITY_FIELDS
            if prior["affinity_strategy"][name] != plan["affinity_strategy"][name]
        }
        if affinity:
            payload["affinityStrategy"] = affinity
        payload["tags"] = tags_to_comma_string(strings(plan["tags"]))
        try:
            task = self.api.update(f"{API}/VirDomain/{text(plan['id'])}", payload)
        except Rejected as rejected:
            # UpdateRecord's error is dropped by the Go code: the new values are saved as if applied.
            self.call.warn(
                "VM update was not applied",
                f"{rejected.error}. The real provider ignores this answer and records the new values anyway; "
                "the next refresh shows the difference again.",
            )
            return plan
        self.api.wait(task)
        return plan

    def delete(self, state: State) -> None:
        self.call.about(f'"{text(state["name"])}"')
        uuid = text(state["id"])
        failure = shutdown_vm(self.api, uuid)
        if failure is not None:
            raise Failure("Client Error", f"Unable to shutdown VM, got error: {failure}")
        self.api.wait(self.api.delete(f"{API}/VirDomain/{uuid}"))

    def import_state(self, import_id: str) -> State:
        return {"id": import_id}

    # --- create paths (utils/vm.go) -----------------------------------------------------------------

    def _clone(self, wanted: _Wanted, clone: dict[str, Any]) -> str:
        existing = self.api.list(f"{API}/VirDomain", name=wanted.name)
        if existing:
            self.call.warn(
                "VM adopted",
                f"Virtual machine {wanted.name} already exists. The real provider adopts the existing VM "
                f"({existing[0].get('uuid')}) instead of cloning; its disks, NICs and cloud-init stay as "
                "they are.",
            )
            return any_to_string(existing[0].get("uuid"))
        source_uuid = text(clone.get("source_vm_uuid"))
        source = self.api.vm(source_uuid)
        template: dict[str, Any] = {"name": wanted.name, "cloudInitData": _cloud_init(clone)}
        if clone.get("preserve_mac_address") is True:
            template["netDevs"] = [
                {"type": nic.get("type"), "macAddress": nic.get("macAddress"), "vlan": nic.get("vlan")}
                for nic in source.get("netDevs") or []
                if isinstance(nic, dict)
            ]
        failed = crash(
            f"There was a problem during cloning of {source.get('name', '')} {source_uuid}, cloning failed."
        )
        try:
            task = self.api.create(f"{API}/VirDomain/{source.get('uuid')}/clone", {"template": template})
        except Rejected as rejected:
            raise Failure(failed.summary, f"{failed.detail} ({rejected.error})") from None
        self.api.wait(task)
        status = self.api.status(task)
        if status is None or status.state != "COMPLETE":
            raise failed
        return task.created_uuid

    def _from_scratch(self, wanted: _Wanted) -> str:
        body = {
            "dom": {"name": wanted.name, "cloudInitData": {"userData": "", "metaData": ""}},
            "options": {},
        }
        failed = crash("There was a problem during VM create.")
        try:
            task = self.api.create(f"{API}/VirDomain", body)
        except Rejected as rejected:
            raise Failure(failed.summary, f"{failed.detail} ({rejected.error})") from None
        self.api.wait(task)
        status = self.api.status(task)
        if status is None or status.state != "COMPLETE":
            raise failed
        return task.created_uuid

    def _import(self, wanted: _Wanted, options: dict[str, Any]) -> str | None:
        http_uri = text(options.get("http_uri"))
        server, username, password = (text(options.get(key)) for key in ("server", "username", "password"))
        path, file_name = text(options.get("path")), text(options.get("file_name"))
        is_http, is_smb = http_uri != "", bool(server or username or password)
        if is_http and not is_smb:
            if not http_uri.startswith(("http://", "https://")):
                raise Failure(
                    "Invalid HTTP uri", "Invalid HTTP uri. Uri must start with 'http://' or 'https://'"
                )
            if not path:
                raise Failure(
                    "Invalid path", "Invalid path. Path parameter must be defined and start with '/'"
                )
            path_uri = f"{http_uri}{path}"
        elif is_smb and not is_http:
            for key, value in (("server", server), ("username", username), ("password", password)):
                if not value:
                    raise Failure(
                        f"Missing '{key}' parameter", f"For using SMB, you must specify the '{key}' parameter"
                    )
            path_uri = f"smb://{username}:{password}@{server}{path}"
        else:
            return None
        source: dict[str, Any] = {"pathURI": path_uri}
        if file_name:
            source["definitionFileName"] = file_name
        try:
            task = self.api.create(
                f"{API}/VirDomain/import", {"source": source, "template": wanted.import_template()}
            )
        except Rejected as rejected:
            raise crash(
                f"runtime error: invalid memory address or nil pointer dereference ({rejected.error})"
            ) from None
        self.api.wait(task)
        self.api.vm(task.created_uuid)
        return task.created_uuid

    def _set_params(self, wanted: _Wanted) -> None:
        """``SetVMParams``: find the VM by name and PATCH the parameters that differ (vcpu/memory always)."""
        vm = self.api.record(f"{API}/VirDomain", must_exist=True, name=wanted.name)
        assert vm is not None
        affinity = vm.get("affinityStrategy")
        if not isinstance(affinity, dict):
            raise crash(f"Unexpected variable where a map[string]any was expected: {affinity}")
        payload: dict[str, Any] = {}
        if wanted.description is not None and wanted.description != vm.get("description"):
            payload["description"] = wanted.description
        if wanted.tags is not None:
            # The Go code compares the []string with HyperCore's comma string, so tags always differ.
            payload["tags"] = tags_to_comma_string(wanted.tags)
        if wanted.memory is not None:
            # JSON numbers are float64 in Go and never equal its int64, so memory and vcpu are always sent.
            payload["mem"] = wanted.memory * MIB
        if wanted.vcpu is not None:
            payload["numVCPU"] = wanted.vcpu
        if wanted.snapshot_schedule_uuid != vm.get("snapshotScheduleUUID"):
            payload["snapshotScheduleUUID"] = wanted.snapshot_schedule_uuid
        changed_affinity = {
            wire: wanted.affinity[wire]
            for _, wire in AFFINITY_FIELDS
            if wanted.affinity[wire] != affinity.get(wire)
        }
        if changed_affinity:
            payload["affinityStrategy"] = changed_affinity
        if payload:
            uuid = any_to_string(vm.get("uuid"))
            with contextlib.suppress(Rejected):  # UpdateRecord's error is dropped here too
                self.api.wait(self.api.update(f"{API}/VirDomain/{uuid}", payload))
            if (wanted.memory is not None or wanted.vcpu is not None) and vm.get("state") not in (
                "STOP",
                "SHUTOFF",
                "SHUTDOWN",
            ):
                reboot_shutdown(self.api, uuid)
        self.api.vm(any_to_string(vm.get("uuid")))


class _Wanted:
    """The VM parameters from the plan, as ``utils.GetVMStruct`` holds them (``None`` = not set)."""

    def __init__(self, data: State):
        self.name = text(data["name"])
        description = text(data["description"])
        self.description = description or None
        self.tags = None if data["tags"] is None else strings(data["tags"])
        self.vcpu = None if data["vcpu"] is None else integer(data["vcpu"])
        self.memory = None if data["memory"] is None else integer(data["memory"])
        self.snapshot_schedule_uuid = text(data["snapshot_schedule_uuid"])
        affinity = data["affinity_strategy"]
        self.affinity = {wire: affinity[name] for name, wire in AFFINITY_FIELDS}

    def import_template(self) -> dict[str, Any]:
        """``BuildImportTemplate``."""
        template: dict[str, Any] = {}
        if self.description is not None:
            template["description"] = self.description
        if self.tags is not None:
            template["tags"] = tags_to_comma_string(self.tags)
        if self.memory is not None:
            template["mem"] = self.memory * MIB
        if self.vcpu is not None:
            template["numVCPU"] = self.vcpu
        if self.name:
            template["name"] = self.name
        strategy: dict[str, Any] = {"strictAffinity": self.affinity["strictAffinity"]}
        if self.affinity["preferredNodeUUID"]:
            strategy["preferredNodeUUID"] = self.affinity["preferredNodeUUID"]
        if self.affinity["backupNodeUUID"]:
            strategy["backupNodeUUID"] = self.affinity["backupNodeUUID"]
        template["affinityStrategy"] = strategy
        return template


def _cloud_init(clone: dict[str, Any]) -> dict[str, str]:
    return {
        "userData": base64.b64encode(text(clone.get("user_data")).encode()).decode(),
        "metaData": base64.b64encode(text(clone.get("meta_data")).encode()).decode(),
    }


def _require_known_affinity(data: State) -> None:
    """The Go model holds ``affinity_strategy`` in a struct pointer, which cannot take an unknown value."""
    if data["affinity_strategy"] is Unknown:
        raise Failure(
            "Value Conversion Error",
            "An unexpected error was encountered trying to build a value. This is always an error in the "
            "provider. Please report the following to the provider developer:\n\nReceived unknown value, "
            "however the target type cannot handle unknown values. Use the corresponding `types` package "
            "type or a custom type that handles unknown values.\n\nPath: affinity_strategy\nTarget Type: "
            "*provider.AffinityStrategyModel\nSuggested Type: basetypes.ObjectValue\n\n(fleetform stand-in: "
            "the real provider fails this way whenever `affinity_strategy` is omitted; write "
            "`affinity_strategy = {}`.)",
        )
