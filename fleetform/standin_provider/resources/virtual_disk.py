"""``hypercore_virtual_disk`` (``hypercore_virtual_disk_resource.go`` and ``utils/virtual_disk.go``).

The image at ``source_url`` is read completely into memory on the Terraform host and uploaded with
``PUT /rest/v1/VirtualDisk/upload?filename=<name>&filesize=<bytes>``. Updates do nothing (a rename is never
sent, and a new ``source_url`` is ignored); read refreshes only the name.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.api import Rejected
from fleetform.standin_provider.base import API, Resource, State, any_to_string, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.sources import SourceError, fetch

URL_PREFIXES = ("http://", "https://", "file:///")


class VirtualDiskResource(Resource):
    type_name: ClassVar[str] = "hypercore_virtual_disk"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id", "source_url"}))

    def create(self, plan: State) -> State:
        name, url = text(plan["name"]), text(plan["source_url"])
        self.call.about(f'"{name}"')
        if not url.startswith(URL_PREFIXES):
            raise Failure(
                "Invalid source URL for the virtual disk used",
                f"Source URL '{url}' is invalid. Virtual disk source URL must start with either 'http://', "
                "'https://' or 'file:///'",
            )
        try:
            data = fetch(url, absolute_file_path=False)
        except SourceError as exc:
            raise Failure(
                "Couldn't fetch virtual disk from source",
                f"Couldn't fetch virtual disk from source '{url}': {exc}",
            ) from None
        try:
            task = self.api.put_binary(f"{API}/VirtualDisk/upload?filename={name}&filesize={len(data)}", data)
        except Rejected as rejected:
            raise Failure(
                "HC3 is receiving too many requests at the same time.",
                "Please retry apply after Terraform finishes it's current operation or consider using the "
                f"`-parallelism=1` terraform option. HC3 response message: {rejected.error}",
            ) from None
        self.api.wait(task)
        self.api.record(f"{API}/VirtualDisk/{task.created_uuid}")
        return {**plan, "id": task.created_uuid}

    def read(self, state: State) -> State:
        uuid = text(state["id"])
        self.call.about(f'"{text(state["name"])}"')
        disk = self.api.record(f"{API}/VirtualDisk/{uuid}")
        if disk is None:
            raise Failure("Virtual Disk not found", f"Virtual Disk not found - vdUUID={uuid}")
        return {**state, "id": uuid, "name": any_to_string(disk.get("name"))}

    def update(self, prior: State, plan: State) -> State:
        self.call.about(f'"{text(plan["name"])}"')
        self.api.record(f"{API}/VirtualDisk/{text(plan['id'])}")
        return plan

    def delete(self, state: State) -> None:
        self.call.about(f'"{text(state["name"])}"')
        self.api.wait(self.api.delete(f"{API}/VirtualDisk/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        disk = self.api.record(f"{API}/VirtualDisk/{import_id}")
        if disk is None:
            raise Failure(
                "Virtual Disk import error, virtual disk not found",
                f"Virtual Disk import, virtual disk not found -  'vd_uuid'='{import_id}'.",
            )
        return {"id": import_id, "name": any_to_string(disk.get("name"))}
