"""``hypercore_iso`` (``hypercore_iso_resource.go`` and ``utils/iso.go``).

Create: ``POST /rest/v1/ISO`` (not ready), ``PUT /rest/v1/ISO/{uuid}/data/`` with the bytes (anything but
HTTP 200 panics), then ``PATCH`` it ready for insert; a refused PATCH is only a warning. Update only renames.
Whatever the source URL answers is uploaded, an error page too (see :mod:`~fleetform.standin_provider.sources`).
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import API, Record, Resource, State, any_to_string, text
from fleetform.standin_provider.diagnostics import Failure, nil_pointer
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import busy
from fleetform.standin_provider.sources import SourceError, fetch

URL_PREFIXES = ("http://", "https://", "file:///")


class IsoResource(Resource):
    type_name: ClassVar[str] = "hypercore_iso"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id", "source_url"}))

    def create(self, plan: State) -> State:
        rest = self.rest
        name, url = text(plan["name"]), text(plan["source_url"])
        if not name.endswith(".iso"):
            raise Failure(
                "Invalid ISO name for the ISO used",
                f"ISO name '{name}' is invalid. ISO name must end with '.iso'",
            )
        if not url.startswith(URL_PREFIXES):
            raise Failure(
                "Invalid source URL for the ISO used",
                f"Source URL '{url}' is invalid. ISO source URL must start with either 'http://', "
                "'https://' or 'file:///'",
            )
        try:
            data = fetch(url, absolute_file_path=True)
        except SourceError as exc:
            raise Failure(
                "Couldn't fetch ISO from source", f"Couldn't fetch ISO from source '{url}': {exc}"
            ) from None

        # CreateISO
        task, _, error = rest.create_record(
            f"{API}/ISO", {"name": name, "size": len(data), "readyForInsert": False}
        )
        if task is None or task.created_uuid == "":
            hint = "hint - check if ISO with this name already exists"
            shown = "<nil>" if error is None else error
            raise Failure(
                "Failed to create ISO", f"Failed to create ISO with name {name}, {hint}, error {shown}."
            )
        rest.wait_task(task)
        uuid = task.created_uuid
        if self._iso(uuid) is None:
            raise nil_pointer()

        # UploadISO
        rest.put_binary_record_without_task_tag(f"{API}/ISO/{uuid}/data/", data)
        self._iso(uuid)
        self._update(uuid, {"name": name, "size": len(data), "readyForInsert": True})
        return {**plan, "id": uuid}

    def read(self, state: State) -> State:
        uuid, name = text(state["id"]), text(state["name"])
        iso = self._iso(uuid)
        if iso is None:
            raise Failure("ISO not found\n", f"ISO not found - isoUUID={uuid}, name={name}.\n")
        return {**state, "id": uuid, "name": any_to_string(iso.get("name"))}

    def update(self, prior: State, plan: State) -> State:
        uuid, name = text(plan["id"]), text(plan["name"])
        self._update(uuid, {"name": name})
        if self._iso(uuid) is None:
            raise Failure("ISO not found", f"ISO not found - isoUUID={uuid}, name={name}.")
        return plan

    def delete(self, state: State) -> None:
        rest = self.rest
        rest.wait_task(rest.delete_record(f"{API}/ISO/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        iso = self._iso(import_id)
        if iso is None:
            raise Failure(
                "ISO import error, ISO not found", f"ISO import, ISO not found -  'iso_uuid'='{import_id}'."
            )
        return {"id": import_id, "name": any_to_string(iso.get("name"))}

    def _iso(self, uuid: str) -> Record | None:
        """``GetISOByUUID``."""
        return self.rest.get_record(f"{API}/ISO/{uuid}")

    def _update(self, uuid: str, payload: dict[str, object]) -> None:
        """``UpdateISO``: an answer without a task tag is only a warning."""
        task, error = self.rest.update_record(f"{API}/ISO/{uuid}", payload)
        if error is not None:
            warning = busy(error)
            self.call.warn(warning.summary, warning.detail)
            return
        self.rest.wait_task(task)
