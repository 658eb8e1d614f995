"""``hypercore_disk`` (``hypercore_disk_resource.go``, ``utils/vm_disk.go``, ``utils/virtual_disk.go``).

``size`` is decimal GB as a float64: ``capacity = size * 1000 * 1000 * 1000`` on the way out (sent as a JSON
float64) and ``capacity / 1000 / 1000 / 1000`` on the way back, exactly as the Go code computes it, so sizes
that do not round-trip (most GiB multiples) give the same perpetual diffs here. With
``source_virtual_disk_id`` the image is attached at its own size and then resized to ``size`` (an omitted
size resizes to 0, which panics on HyperCore's HTTP 400 after the disk exists). Sizes can only grow. A create
HyperCore refuses ends in a nil pointer panic, its reason lost; a refused resize is only a warning.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fleetform.standin_provider.base import (
    API,
    Record,
    Resource,
    State,
    any_to_int,
    any_to_records,
    any_to_string,
    bytes_to_gb,
    gb_to_bytes,
    integer,
    real,
    text,
)
from fleetform.standin_provider.diagnostics import Failure, nil_pointer
from fleetform.standin_provider.gofmt import go_float
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import busy
from fleetform.standin_provider.virdomain import get_one_vm

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
        rest = self.rest
        iso = self._validate(plan)
        vm_uuid, disk_type = text(plan["vm_uuid"]), text(plan["type"])
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
            source = rest.get_record(f"{API}/VirtualDisk/{source_id}")
            if source is None:
                raise Failure(
                    "Virtual disk not found",
                    f"Virtual disk with UUID '{source_id}' not found. Double check your Terraform configuration.",
                )
            body = {
                "options": {"regenerateDiskID": False, "readOnly": False},
                "template": {
                    "virDomainUUID": vm_uuid,
                    "type": disk_type,
                    "capacity": any_to_int(source.get("capacityBytes")),
                    "tieringPriorityFactor": flash,
                },
            }
            # AttachVirtualDisk: HyperCore's refusal is dropped; only the missing task is reported.
            task, _, _ = rest.create_record(f"{API}/VirtualDisk/{source_id}/attach", body)
            if task is None:
                message = (
                    f"there was a problem attaching the virtual disk {source_id} to the VM {vm_uuid}, "
                    "check input parameters"
                )
                raise Failure(message, f"Error: {message}")
            rest.wait_task(task)
            disk_uuid = task.created_uuid
            disk = self._disk(disk_uuid)
            if disk is None:
                raise nil_pointer()
            warning = _update_disk(self, disk_uuid, payload)
            if warning is not None:
                self.call.warn(warning.summary, warning.detail)
        else:
            task, _, _ = rest.create_record(f"{API}/VirDomainBlockDevice/", payload)
            rest.wait_task(task)
            if task is None:
                raise nil_pointer()
            disk_uuid = task.created_uuid
            created = self._disk(disk_uuid)
            if created is None:
                raise nil_pointer()
            disk = created
        return {**plan, "id": disk_uuid, "slot": any_to_int(disk.get("slot"))}

    def read(self, state: State) -> State:
        disk_uuid, vm_uuid = text(state["id"]), text(state["vm_uuid"])
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
        warning = _update_disk(self, disk_uuid, payload)
        if warning is not None:
            self.call.warn(warning.summary, warning.detail)
        new = self._disk(disk_uuid)
        if new is None:
            raise Failure("Disk not found", f"Disk not found - diskUUID={disk_uuid}, vmUUID={vm_uuid}.")
        return {**plan, "slot": any_to_int(new.get("slot"))}

    def delete(self, state: State) -> None:
        rest = self.rest
        rest.wait_task(rest.delete_record(f"{API}/VirDomainBlockDevice/{text(state['id'])}"))

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
        for disk in any_to_records(get_one_vm(self.rest, vm_uuid).get("blockDevs")):
            if any_to_int(disk.get("slot")) == slot and any_to_string(disk.get("type")) == disk_type:
                uuid = any_to_string(disk.get("uuid"))
                size = bytes_to_gb(disk.get("capacity"))
                # The raw tiering factor, as the Go code stores it; the read that follows converts it.
                flash = any_to_int(disk.get("tieringPriorityFactor"))
                if uuid == "":
                    break
                return {
                    "id": uuid,
                    "vm_uuid": vm_uuid,
                    "type": disk_type,
                    "slot": slot,
                    "flash_priority": flash,
                    "size": size,
                }
        raise Failure(
            "Disk import error, Disk not found",
            f"Disk import, Disk not found -  'vm_uuid:disk_type:disk_slot'='{import_id}'.",
        )

    # --- helpers (utils/vm_disk.go) -----------------------------------------------------------------

    def _validate(self, plan: State) -> Record | None:
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
            iso = self.rest.get_record(f"{API}/ISO/{iso_uuid}")
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

    def _disk(self, disk_uuid: str) -> Record | None:
        """``GetDiskByUUID``."""
        return self.rest.get_record(f"{API}/VirDomainBlockDevice/{disk_uuid}")


def _update_disk(resource: DiskResource, disk_uuid: str, payload: dict[str, Any]) -> Failure | None:
    """``UpdateDisk``: PATCH the block device; an answer without a task tag is a warning, HTTP 400 panics."""
    rest = resource.rest
    task, error = rest.update_record(f"{API}/VirDomainBlockDevice/{disk_uuid}", payload)
    if error is not None:
        return busy(error)
    rest.wait_task(task)
    return None
