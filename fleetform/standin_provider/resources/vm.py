"""``hypercore_vm`` (``hypercore_vm_resource.go`` and ``utils/vm.go``).

Create by clone (an existing VM of the same name is silently adopted instead), by HyperCore import, or from
scratch; then find the VM by name and PATCH what differs (tags, memory and vcpu always: the Go code compares
them with HyperCore's strings and float64s, which never match), shutting a running VM down if vcpu or memory
were sent, and never starting it again. Read refreshes name, description, tags, vcpu, memory, snapshot
schedule and affinity (never clone/import). Update PATCHes the changed fields plus tags and drops HyperCore's
answer, so an update HyperCore refuses without HTTP 400 is saved as if applied. Delete shuts the VM down first.
The real provider's traps are kept: an omitted ``affinity_strategy`` fails, ``tags = []`` (or omitted tags on
update) panics after the VM exists, omitted ``vcpu``/``memory`` are sent as 0 on update, and an import with
neither or both kinds of source creates nothing and leaves the id unknown.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from tf.types import Unknown

from fleetform.standin_provider.base import (
    API,
    Record,
    Resource,
    State,
    any_to_bool,
    any_to_int,
    any_to_map,
    any_to_string,
    bytes_to_mib,
    integer,
    strings,
    tags_to_comma_string,
    text,
)
from fleetform.standin_provider.diagnostics import Failure, crash, nil_pointer
from fleetform.standin_provider.gofmt import go_value
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import ShutdownSteps, shutdown_vm
from fleetform.standin_provider.virdomain import get_one_vm, get_vm_by_name

MIB = 1024 * 1024
AFFINITY_FIELDS = (
    ("strict_affinity", "strictAffinity"),
    ("preferred_node_uuid", "preferredNodeUUID"),
    ("backup_node_uuid", "backupNodeUUID"),
)
OFF_STATES = ("STOP", "SHUTOFF", "SHUTDOWN")


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
        data = dict(plan)
        self.rest  # noqa: B018 - the Go code checks for a configured client before anything else
        _require_known_affinity(data)
        affinity = dict(data["affinity_strategy"] or {})
        for name, _ in AFFINITY_FIELDS:
            if affinity.get(name, Unknown) is Unknown:
                affinity[name] = False if name == "strict_affinity" else ""
        data["affinity_strategy"] = affinity
        wanted = _Wanted(data)
        if data["clone"] is not None:
            self._clone(wanted, data["clone"])
            self._set_vm_params(wanted)
            data["id"] = wanted.uuid
        elif data["import"] is not None:
            self._import(wanted, data)
        else:
            self._from_scratch(wanted)
            self._set_vm_params(wanted)
            data["id"] = wanted.uuid
        return data

    def read(self, state: State) -> State:
        vm = get_one_vm(self.rest, text(state["id"]))
        name = any_to_string(vm.get("name"))
        description = any_to_string(vm.get("description"))
        tags = any_to_string(vm.get("tags")).split(",")
        vcpu = any_to_int(vm.get("numVCPU"))
        memory = bytes_to_mib(any_to_int(vm.get("mem")))
        schedule = any_to_string(vm.get("snapshotScheduleUUID"))
        affinity = any_to_map(vm.get("affinityStrategy"))
        return {
            **state,
            "name": name,
            "description": description,
            "tags": tags,
            "vcpu": vcpu,
            "memory": memory,
            "snapshot_schedule_uuid": schedule,
            "affinity_strategy": {
                "strict_affinity": any_to_bool(affinity.get("strictAffinity")),
                "preferred_node_uuid": any_to_string(affinity.get("preferredNodeUUID")),
                "backup_node_uuid": any_to_string(affinity.get("backupNodeUUID")),
            },
        }

    def update(self, prior: State, plan: State) -> State:
        _require_known_affinity(plan)
        rest = self.rest
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
        if prior["affinity_strategy"] is None or plan["affinity_strategy"] is None:
            raise nil_pointer()
        affinity = {
            wire: plan["affinity_strategy"][name]
            for name, wire in AFFINITY_FIELDS
            if prior["affinity_strategy"][name] != plan["affinity_strategy"][name]
        }
        if affinity:
            payload["affinityStrategy"] = {
                wire: (bool(value) if wire == "strictAffinity" else text(value))
                for wire, value in affinity.items()
            }
        payload["tags"] = tags_to_comma_string(strings(plan["tags"]))
        task, _ = rest.update_record(f"{API}/VirDomain/{text(plan['id'])}", payload)
        rest.wait_task(task)
        return plan

    def delete(self, state: State) -> None:
        rest = self.rest
        uuid = text(state["id"])
        failure = shutdown_vm(rest, uuid)
        if failure is not None:
            raise Failure("Client Error", f"Unable to shutdown VM, got error: {failure.go_string()}")
        rest.wait_task(rest.delete_record(f"{API}/VirDomain/{uuid}"))

    def import_state(self, import_id: str) -> State:
        return {"id": import_id}

    # --- create paths (utils/vm.go) -----------------------------------------------------------------

    def _clone(self, wanted: _Wanted, clone: dict[str, Any]) -> None:
        """``VM.Clone``: adopt a VM that already has the name, else clone and require COMPLETE."""
        rest = self.rest
        existing = rest.list_records(f"{API}/VirDomain", {"name": wanted.name})
        if existing:
            wanted.uuid = any_to_string(existing[0].get("uuid"))
            return
        source_uuid = text(clone.get("source_vm_uuid"))
        source = get_one_vm(rest, source_uuid)
        source_name = source.get("name") if isinstance(source.get("name"), str) else ""
        template: dict[str, Any] = {"name": wanted.name, "cloudInitData": wanted.cloud_init}
        if wanted.preserve_mac_address:
            net_devs = source.get("netDevs")
            template["netDevs"] = [
                {"type": nic.get("type"), "macAddress": nic.get("macAddress"), "vlan": nic.get("vlan")}
                for nic in (net_devs if isinstance(net_devs, list) else [])
                if isinstance(nic, dict)
            ]
        task, _, _ = rest.create_record(
            f"{API}/VirDomain/{go_value(source.get('uuid'), 's')}/clone", {"template": template}
        )
        rest.wait_task(task)
        status = rest.get_status(task)
        if status is not None and status.get("state") == "COMPLETE":
            assert task is not None
            wanted.uuid = task.created_uuid
            return
        raise crash(f"There was a problem during cloning of {source_name} {source_uuid}, cloning failed.")

    def _from_scratch(self, wanted: _Wanted) -> None:
        """``VM.FromScratch``: an empty VM (HyperCore's default machine type); the task must be COMPLETE."""
        rest = self.rest
        body = {"dom": {"name": wanted.name, "cloudInitData": wanted.cloud_init}, "options": {}}
        task, _, _ = rest.create_record(f"{API}/VirDomain", body)
        rest.wait_task(task)
        status = rest.get_status(task)
        if status is None or status.get("state") != "COMPLETE":
            raise crash("There was a problem during VM create.")
        assert task is not None
        wanted.uuid = task.created_uuid

    def _import(self, wanted: _Wanted, data: State) -> None:
        """``doCreateLogic`` for ``import``: HTTP or SMB; neither or both creates nothing, silently.

        A validation error is added, yet the state is still set (with the id unknown), as the Go code does.
        """
        options = data["import"]
        http_uri = text(options.get("http_uri"))
        server, username, password = (text(options.get(key)) for key in ("server", "username", "password"))
        path, file_name = text(options.get("path")), text(options.get("file_name"))
        is_http, is_smb = http_uri != "", bool(server or username or password)
        if is_http and not is_smb:
            if not http_uri.startswith(("http://", "https://")):
                self.call.add_error(
                    "Invalid HTTP uri", "Invalid HTTP uri. Uri must start with 'http://' or 'https://'"
                )
                return
            if path == "":
                self.call.add_error(
                    "Invalid path", "Invalid path. Path parameter must be defined and start with '/'"
                )
                return
            path_uri = f"{http_uri}{path}"
        elif is_smb and not is_http:
            for key, value in (("server", server), ("username", username), ("password", password)):
                if not value:
                    self.call.add_error(
                        f"Missing '{key}' parameter", f"For using SMB, you must specify the '{key}' parameter"
                    )
                    return
            path_uri = f"smb://{username}:{password}@{server}{path}"
        else:
            return
        source: dict[str, Any] = {"pathURI": path_uri}
        if file_name != "":
            source["definitionFileName"] = file_name
        rest = self.rest
        task, _, _ = rest.create_record(
            f"{API}/VirDomain/import", {"source": source, "template": wanted.import_template()}
        )
        rest.wait_task(task)
        if task is None:
            raise nil_pointer()
        get_one_vm(rest, task.created_uuid)
        wanted.uuid = task.created_uuid
        self._set_vm_params(wanted)
        data["id"] = wanted.uuid

    def _set_vm_params(self, wanted: _Wanted) -> None:
        """``SetVMParams``: find the VM by name and PATCH the parameters ``GetChangedParams`` calls changed."""
        rest = self.rest
        vm = get_vm_by_name(rest, wanted.name, True)
        if vm is None:
            raise nil_pointer()
        changed = wanted.changed_params(vm)
        if any(changed.values()):
            payload = wanted.update_payload(changed)
            task, _ = rest.update_record(f"{API}/VirDomain/{go_value(vm.get('uuid'), 's')}", payload)
            rest.wait_task(task)
            needs_reboot = changed.get("memory", False) or changed.get("vcpu", False)
            if needs_reboot and vm.get("state") not in OFF_STATES:
                uuid = vm.get("uuid")
                if not isinstance(uuid, str):
                    raise crash(f"Unexpected value found for UUID: {go_value(uuid)}")
                ShutdownSteps(rest, wanted.name).do_shutdown_steps(uuid)
        rest.get_record(f"{API}/VirDomain/{go_value(vm.get('uuid'), 's')}", {}, True)


class _Wanted:
    """The VM struct ``utils.GetVMStruct`` builds from the plan (``None`` = a nil pointer)."""

    def __init__(self, data: State):
        self.uuid = ""
        self.name = text(data["name"])
        self.description = text(data["description"]) or None
        self.tags = None if data["tags"] is None else strings(data["tags"])
        self.vcpu = None if data["vcpu"] is None else integer(data["vcpu"])
        self.memory = None if data["memory"] is None else integer(data["memory"])
        self.snapshot_schedule_uuid = text(data["snapshot_schedule_uuid"])
        clone = data["clone"] or {}
        self.preserve_mac_address = clone.get("preserve_mac_address") is True
        self.cloud_init = {
            "userData": base64.b64encode(text(clone.get("user_data")).encode()).decode(),
            "metaData": base64.b64encode(text(clone.get("meta_data")).encode()).decode(),
        }
        affinity = data["affinity_strategy"]
        self.affinity: dict[str, Any] = {
            "strictAffinity": affinity["strict_affinity"] is True,
            "preferredNodeUUID": text(affinity["preferred_node_uuid"]),
            "backupNodeUUID": text(affinity["backup_node_uuid"]),
        }

    def changed_params(self, vm: Record) -> dict[str, bool]:
        """``GetChangedParams``: Go's ``!=`` between typed values and HyperCore's decoded JSON."""
        changed: dict[str, bool] = {}
        if self.description is not None:
            changed["description"] = not _same_string(self.description, vm.get("description"))
        if self.tags is not None:
            changed["tags"] = True  # reflect.DeepEqual of a []string and a string
        if self.memory is not None:
            changed["memory"] = True  # an int64 never equals a float64 in an interface
        if self.vcpu is not None:
            changed["vcpu"] = True  # an int32 never equals a float64 in an interface
        changed["snapshotScheduleUUID"] = not _same_string(
            self.snapshot_schedule_uuid, vm.get("snapshotScheduleUUID")
        )
        affinity = any_to_map(vm.get("affinityStrategy"))
        strict = affinity.get("strictAffinity")
        changed["strictAffinity"] = not (
            isinstance(strict, bool) and strict == self.affinity["strictAffinity"]
        )
        for wire in ("preferredNodeUUID", "backupNodeUUID"):
            changed[wire] = not _same_string(self.affinity[wire], affinity.get(wire))
        return changed

    def update_payload(self, changed: dict[str, bool]) -> dict[str, Any]:
        """``BuildUpdatePayload``."""
        payload: dict[str, Any] = {}
        if changed.get("description"):
            payload["description"] = self.description
        if changed.get("tags"):
            assert self.tags is not None
            payload["tags"] = tags_to_comma_string(self.tags)
        if changed.get("memory"):
            assert self.memory is not None
            payload["mem"] = self.memory * MIB
        if changed.get("vcpu"):
            payload["numVCPU"] = self.vcpu
        if changed.get("snapshotScheduleUUID"):
            payload["snapshotScheduleUUID"] = self.snapshot_schedule_uuid
        affinity = {wire: self.affinity[wire] for _, wire in AFFINITY_FIELDS if changed.get(wire)}
        if affinity:
            payload["affinityStrategy"] = affinity
        return payload

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


def _same_string(value: str, decoded: Any) -> bool:
    """Go's ``string == any``: equal only when the interface holds that string."""
    return isinstance(decoded, str) and decoded == value


def _require_known_affinity(data: State) -> None:
    """The Go model holds ``affinity_strategy`` in a struct pointer, which cannot take an unknown value."""
    if data["affinity_strategy"] is Unknown:
        raise Failure(
            "Value Conversion Error",
            "An unexpected error was encountered trying to build a value. This is always an error in the "
            "provider. Please report the following to the provider developer:\n\nReceived unknown value, "
            "however the target type cannot handle unknown values. Use the corresponding `types` package "
            "type or a custom type that handles unknown values.\n\nPath: affinity_strategy\nTarget Type: "
            "*provider.AffinityStrategyModel\nSuggested Type: basetypes.ObjectValue",
        )
