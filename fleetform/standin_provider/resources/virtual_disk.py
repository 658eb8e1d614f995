"""``hypercore_virtual_disk`` (``hypercore_virtual_disk_resource.go`` and ``utils/virtual_disk.go``).

The image at ``source_url`` is read completely into memory on the Terraform host and uploaded with
``PUT /rest/v1/VirtualDisk/upload?filename=<name>&filesize=<bytes>`` (the name is not URL-encoded). Whatever
the source URL answers is uploaded, an error page too (see :mod:`~fleetform.standin_provider.sources`).
Updates do nothing (a rename is never sent, a new ``source_url`` is ignored); read refreshes only the name.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import API, Record, Resource, State, any_to_string, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.sources import SourceError, fetch

URL_PREFIXES = ("http://", "https://", "file:///")


class VirtualDiskResource(Resource):
    type_name: ClassVar[str] = "hypercore_virtual_disk"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id", "source_url"}))

    def create(self, plan: State) -> State:
        rest = self.rest
        name, url = text(plan["name"]), text(plan["source_url"])
        if not url.startswith(URL_PREFIXES):
            raise Failure(
                "Invalid source URL for the virtual disk used",
                f"Source URL '{url}' is invalid. Virtual disk source URL must start with either 'http://', "
                "'https://' or 'file:///'",
            )
        # UploadVirtualDisk
        try:
            data = fetch(url, absolute_file_path=False)
        except SourceError as exc:
            raise Failure(
                "Couldn't fetch virtual disk from source",
                f"Couldn't fetch virtual disk from source '{url}': {exc}",
            ) from None
        task, error = rest.put_binary_record(
            f"{API}/VirtualDisk/upload?filename={name}&filesize={len(data)}", data
        )
        if error is not None:
            raise Failure(
                "HC3 is receiving too many requests at the same time.",
                "Please retry apply after Terraform finishes it's current operation or consider using the "
                f"`-parallelism=1` terraform option. HC3 response message: {error}",
            )
        if task is None:
            raise Failure(
                f"Failed to upload virtual disk {name} from source {url}",
                f"There was a problem uploading virtual disk {name} from source {url}, check input parameters",
            )
        rest.wait_task(task)
        self._virtual_disk(task.created_uuid)
        return {**plan, "id": task.created_uuid}

    def read(self, state: State) -> State:
        uuid = text(state["id"])
        disk = self._virtual_disk(uuid)
        if disk is None:
            raise Failure("Virtual Disk not found", f"Virtual Disk not found - vdUUID={uuid}")
        return {**state, "id": uuid, "name": any_to_string(disk.get("name"))}

    def update(self, prior: State, plan: State) -> State:
        self._virtual_disk(text(plan["id"]))
        return plan

    def delete(self, state: State) -> None:
        rest = self.rest
        rest.wait_task(rest.delete_record(f"{API}/VirtualDisk/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        disk = self._virtual_disk(import_id)
        if disk is None:
            raise Failure(
                "Virtual Disk import error, virtual disk not found",
                f"Virtual Disk import, virtual disk not found -  'vd_uuid'='{import_id}'.",
            )
        return {"id": import_id, "name": any_to_string(disk.get("name"))}

    def _virtual_disk(self, uuid: str) -> Record | None:
        """``GetVirtualDiskByUUID``."""
        return self.rest.get_record(f"{API}/VirtualDisk/{uuid}")
