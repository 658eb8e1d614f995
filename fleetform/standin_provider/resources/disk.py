"""``hypercore_disk`` (``hypercore_disk_resource.go`` and ``utils/vm_disk.go``).

``size`` is decimal GB as a float64: ``capacity = size * 1000 * 1000 * 1000`` on the way out and
``capacity / 1000 / 1000 / 1000`` on the way back, exactly as the Go code computes it, so sizes that do not
round-trip (most GiB multiples) give the same perpetual diffs here. With ``source_virtual_disk_id`` the image
is attached at its own size and then resized to ``size`` (an omitted size resizes to 0, which the cluster
rejects after the disk exists). Sizes can only grow.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fleetform.standin_provider.api import Rejected
from fleetform.standin_provider.base import (
    API,
    Resource,
    State,
    any_to_int,
    any_to_records,
    any_to_string,
    bytes_to_gb,
    gb_to_bytes,
    go_float,
    integer,
    real,
    text,
)
from fleetform.standin_provider.diagnostics import Failure, crash
from fleetform.standin_provider.planning import PlanRules

DISK_TYPES = ("IDE_DISK", "SCSI_DISK", "VIRTIO_DISK", "IDE_FLOPPY", "NVRAM", "VTPM", "IDE_CDROM")
FROM_HUMAN_PRIORITY_FACTOR = {
    0: 0,
    1: 1,
    2: 2,
    3: 4,
    4: 8,
    5: 16,
    6: 32,
    7: 64,
    8: 128,
    9: 256,
    10: 1024,
    11: 10240,
}
TO_HUMAN_PRIORITY_FACTOR = {factor: human for human, factor in FROM_HUMAN_PRIORITY_FACTOR.items()}


class DiskResource(Resource):
    type_name: ClassVar[str] = "hypercore_disk"
    rules: ClassVar[PlanRules] = PlanRules(
        defaults={"flash_priority": 4}, keep_state=frozenset({"id", "flash_priority"})
    )
    integers: ClassVar[dict[str, int]] = {"slot": 64, "flash_priority": 64}

    def create(self, plan: State) -> State:
        vm_uuid, disk_type = text(plan["vm_uuid"]), text(plan["type"])
        self.call.about(f"{disk_type or '(no type)'} on VM {vm_uuid}")
        iso = self._validate(plan)
        flash = FROM_HUMAN_PRIORITY_FACTOR[integer(plan["flash_priority"])]
        payload: dict[str, Any] = {
            "virDomainUUID": vm_uuid,
            "type": disk_type,
            "capacity": gb_to_bytes(real(plan["size"])),
            "tieringPriorityFactor": flash,
        }
        if iso is not None:
            payload["path"] = iso.get("path")

        source_id = text(plan["source_virtual_disk_id"])
        if source_id:
            disk_uuid, disk = self._attach(plan, source_id, flash)
            self._resize(disk_uuid, payload, after_attach=plan["size"] is None)
        else:
            try:
                task = self.api.create(f"{API}/VirDomainBlockDevice/", payload)
            except Rejected as rejected:
                raise crash(
                    f"runtime error: invalid memory address or nil pointer dereference ({rejected.error})"
                ) from None
            self.api.wait(task)
            disk_uuid = task.created_uuid
            created = self._disk(disk_uuid)
            if created is None:
                raise crash("runtime error: invalid memory address or nil pointer dereference")
            disk = created
        return {**plan, "id": disk_uuid, "slot": any_to_int(disk.get("slot"))}

    def read(self, state: State) -> State:
        disk_uuid, vm_uuid = text(state["id"]), text(state["vm_uuid"])
        self.call.about(f"{text(state['type'])} on VM {vm_uuid}")
        disk = self._disk(disk_uuid)
        if disk is None:
            raise Failure("Disk not found\n", f"Disk not found - diskUUID={disk_uuid}, vmUUID={vm_uuid}.\n")
        return {
            **state,
            "id": disk_uuid,
            "vm_uuid": any_to_string(disk.get("virDomainUUID")),
            "type": any_to_string(disk.get("type")),
            "slot": any_to_int(disk.get("slot")),
            "size": bytes_to_gb(disk.get("capacity")),
            "flash_priority": TO_HUMAN_PRIORITY_FACTOR.get(any_to_int(disk.get("tieringPriorityFactor")), 0),
        }

    def update(self, prior: State, plan: State) -> State:
        disk_uuid, vm_uuid = text(plan["id"]), text(plan["vm_uuid"])
        self.call.about(f"{text(plan['type'])} on VM {vm_uuid}")
        old = self._disk(disk_uuid)
        if old is None:
            raise Failure("Disk not found", f"Disk not found - diskUUID={disk_uuid}, vmUUID={vm_uuid}.")
        old_size, wanted_size = bytes_to_gb(old.get("capacity")), real(plan["size"])
        if wanted_size < old_size:
            raise Failure(
                "Invalid disk size",
                f" can only be expanded. Use a larger size. {go_float(wanted_size)} GB > "
                f"{go_float(old_size)} GB: diskUUID={disk_uuid}",
            )
        iso = self._validate(plan)
        detaching = old.get("path") != "" and iso is None and text(plan["type"]) == "IDE_CDROM"
        payload: dict[str, Any] = {
            "virDomainUUID": vm_uuid,
            "type": text(plan["type"]),
            "capacity": gb_to_bytes(wanted_size),
            "tieringPriorityFactor": FROM_HUMAN_PRIORITY_FACTOR[integer(plan["flash_priority"])],
        }
        if iso is not None:
            payload["path"] = iso.get("path")
        elif detaching:
            payload["path"] = ""
        self._resize(disk_uuid, payload, after_attach=False)
        new = self._disk(disk_uuid)
        if new is None:
            raise Failure("Disk not found", f"Disk not found - diskUUID={disk_uuid}, vmUUID={vm_uuid}.")
        return {**plan, "slot": any_to_int(new.get("slot"))}

    def delete(self, state: State) -> None:
        self.call.about(f"{text(state['type'])} on VM {text(state['vm_uuid'])}")
        self.api.wait(self.api.delete(f"{API}/VirDomainBlockDevice/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        parts = import_id.split(":")
        if len(parts) != 3:
            raise Failure(
                "Disk import requires a composite ID",
                "Disk import composite ID format is 'vm_uuid:disk_type:disk_slot'. "
                f"ID='{import_id}' is invalid.",
            )
        vm_uuid, disk_type = parts[0], parts[1]
        slot = any_to_int(parts[2])
        self.call.about(f"{disk_type} slot {slot} on VM {vm_uuid}")
        for disk in any_to_records(self.api.vm(vm_uuid).get("blockDevs")):
            if any_to_int(disk.get("slot")) == slot and any_to_string(disk.get("type")) == disk_type:
                return {
                    "id": any_to_string(disk.get("uuid")),
                    "vm_uuid": vm_uuid,
                    "type": disk_type,
                    "slot": slot,
                    # The raw tiering factor, as the Go code stores it; the read that follows converts it.
                    "flash_priority": any_to_int(disk.get("tieringPriorityFactor")),
                    "size": bytes_to_gb(disk.get("capacity")),
                }
        raise Failure(
            "Disk import error, Disk not found",
            f"Disk import, Disk not found -  'vm_uuid:disk_type:disk_slot'='{import_id}'.",
        )

    # --- helpers (utils/vm_disk.go) -----------------------------------------------------------------

    def _validate(self, plan: State) -> dict[str, Any] | None:
        """``ValidateDiskType``, ``ValidateISOAttach`` and ``ValidateDiskFlashPriority``; the ISO if any."""
        disk_type, iso_uuid = text(plan["type"]), text(plan["iso_uuid"])
        if disk_type not in DISK_TYPES:
            raise Failure(
                "Invalid disk type",
                f"Disk type '{disk_type}' not allowed. Allowed types are: IDE_DISK, IDE_CDROM, SCSI_DISK, "
                "VIRTIO_DISK, IDE_FLOPPY, NVRAM, VTPM",
            )
        if iso_uuid and disk_type != "IDE_CDROM":
            raise Failure(
                "Invalid disk type",
                f"Disk type '{disk_type}' is not compatible with ISO, for ISO attach action type of "
                "IDE_CDROM is needed.",
            )
        iso = None
        if iso_uuid:
            iso = self.api.record(f"{API}/ISO/{iso_uuid}")
            if iso is None:
                raise Failure("Invalid ISO UUID", f"ISO with UUID '{iso_uuid}' not found.")
        flash = integer(plan["flash_priority"])
        if not 0 <= flash <= 11:
            raise Failure(
                "Invalid disk flash priority",
                f"Disk flash priority '{flash}' is invalid. Flash priority must be a positive number between "
                "(including) 0 and 11.",
            )
        return iso

    def _attach(self, plan: State, source_id: str, flash: int) -> tuple[str, dict[str, Any]]:
        """Copy the virtual disk onto the VM at the image's own size (``AttachVirtualDisk``)."""
        vm_uuid = text(plan["vm_uuid"])
        source = self.api.record(f"{API}/VirtualDisk/{source_id}")
        if source is None:
            raise Failure(
                "Virtual disk not found",
                f"Virtual disk with UUID '{source_id}' not found. Double check your Terraform configuration.",
            )
        body = {
            "options": {"regenerateDiskID": False, "readOnly": False},
            "template": {
                "virDomainUUID": vm_uuid,
                "type": text(plan["type"]),
                "capacity": any_to_int(source.get("capacityBytes")),
                "tieringPriorityFactor": flash,
            },
        }
        try:
            task = self.api.create(f"{API}/VirtualDisk/{source_id}/attach", body)
        except Rejected as rejected:
            message = (
                f"there was a problem attaching the virtual disk {source_id} to the VM {vm_uuid}, "
                "check input parameters"
            )
            raise Failure(message, f"Error: {message} ({rejected.error})") from None
        self.api.wait(task)
        disk = self._disk(task.created_uuid)
        if disk is None:
            raise crash("runtime error: invalid memory address or nil pointer dereference")
        return task.created_uuid, disk

    def _resize(self, disk_uuid: str, payload: dict[str, Any], *, after_attach: bool) -> None:
        """``UpdateDisk``: PATCH the block device; a non-400 rejection is only a warning."""
        try:
            task = self.api.update(f"{API}/VirDomainBlockDevice/{disk_uuid}", payload)
        except Rejected as rejected:
            self.call.warn(
                "HC3 is receiving too many requests at the same time.",
                "Please retry apply after Terraform finishes it's current operation. "
                f"HC3 response message: {rejected.error}",
            )
            return
        except Failure as failure:
            if after_attach:
                raise Failure(
                    failure.summary,
                    f"{failure.detail}\n\n(fleetform stand-in: `size` is not set, so the real provider "
                    "resizes the attached copy to 0 bytes, which the cluster rejects; the disk stays "
                    "attached to the VM outside Terraform. Set `size` to at least the image's size in GB.)",
                ) from None
            raise
        self.api.wait(task)

    def _disk(self, disk_uuid: str) -> dict[str, Any] | None:
        return self.api.record(f"{API}/VirDomainBlockDevice/{disk_uuid}")
