"""``hypercore_iso`` (``hypercore_iso_resource.go`` and ``utils/iso.go``).

Create: ``POST /rest/v1/ISO`` (not ready), ``PUT /rest/v1/ISO/{uuid}/data/`` with the bytes, then ``PATCH`` it
ready for insert. Update only renames.
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.api import Rejected
from fleetform.standin_provider.base import API, Resource, State, any_to_string, text
from fleetform.standin_provider.diagnostics import Failure, crash
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.sources import SourceError, fetch

URL_PREFIXES = ("http://", "https://", "file:///")
BUSY = "HC3 is receiving too many requests at the same time."


class IsoResource(Resource):
    type_name: ClassVar[str] = "hypercore_iso"
    rules: ClassVar[PlanRules] = PlanRules(keep_state=frozenset({"id", "source_url"}))

    def create(self, plan: State) -> State:
        name, url = text(plan["name"]), text(plan["source_url"])
        self.call.about(f'"{name}"')
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

        failed = (
            "Failed to create ISO",
            f"Failed to create ISO with name {name}, hint - check if ISO with this name already exists, "
            "error ",
        )
        try:
            task = self.api.create(f"{API}/ISO", {"name": name, "size": len(data), "readyForInsert": False})
        except Rejected as rejected:
            raise Failure(failed[0], f"{failed[1]}{rejected.error}.") from None
        if not task.created_uuid:
            raise Failure(failed[0], f"{failed[1]}<nil>.")
        self.api.wait(task)
        uuid = task.created_uuid
        if self.api.record(f"{API}/ISO/{uuid}") is None:
            raise crash("runtime error: invalid memory address or nil pointer dereference")

        self.api.put_plain(f"{API}/ISO/{uuid}/data/", data)
        self.api.record(f"{API}/ISO/{uuid}")
        self._patch(uuid, {"name": name, "size": len(data), "readyForInsert": True})
        return {**plan, "id": uuid}

    def read(self, state: State) -> State:
        uuid, name = text(state["id"]), text(state["name"])
        self.call.about(f'"{name}"')
        iso = self.api.record(f"{API}/ISO/{uuid}")
        if iso is None:
            raise Failure("ISO not found\n", f"ISO not found - isoUUID={uuid}, name={name}.\n")
        return {**state, "id": uuid, "name": any_to_string(iso.get("name"))}

    def update(self, prior: State, plan: State) -> State:
        uuid, name = text(plan["id"]), text(plan["name"])
        self.call.about(f'"{name}"')
        self._patch(uuid, {"name": name})
        if self.api.record(f"{API}/ISO/{uuid}") is None:
            raise Failure("ISO not found", f"ISO not found - isoUUID={uuid}, name={name}.")
        return plan

    def delete(self, state: State) -> None:
        self.call.about(f'"{text(state["name"])}"')
        self.api.wait(self.api.delete(f"{API}/ISO/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        iso = self.api.record(f"{API}/ISO/{import_id}")
        if iso is None:
            raise Failure(
                "ISO import error, ISO not found", f"ISO import, ISO not found -  'iso_uuid'='{import_id}'."
            )
        return {"id": import_id, "name": any_to_string(iso.get("name"))}

    def _patch(self, uuid: str, payload: dict[str, object]) -> None:
        """``UpdateISO``: a rejected PATCH is only a warning."""
        try:
            self.api.wait(self.api.update(f"{API}/ISO/{uuid}", payload))
        except Rejected as rejected:
            self.call.warn(
                BUSY,
                "Please retry apply after Terraform finishes it's current operation. "
                f"HC3 response message: {rejected.error}",
            )
