"""Block devices (``/rest/v1/VirDomainBlockDevice``): disks, CD-ROMs and the NVRAM/VTPM firmware devices,
their slots, the ISO in a CD-ROM, and the checks HyperCore answers with HTTP 400.
"""

from __future__ import annotations

from fleetform.simulator.backends.core import OFF_STATES, Caller, Record, new_uuid
from fleetform.simulator.backends.tasks import TaskBackend
from fleetform.simulator.errors import BadRequest, TaskRefused
from fleetform.simulator.models import (
    FIRMWARE_DEVICES,
    FIRMWARE_TYPES,
    HOT_UNPLUG_REFUSED,
    NO_SLOT,
    NVRAM_CAPACITY,
    SYSTEM_ISO_DIR,
    BlockDevice,
    TaskRef,
    Vm,
    now,
)
from fleetform.simulator.schemas import BlockDeviceCreate, BlockDeviceUpdate


class BlockDeviceBackend(TaskBackend):
    """Block devices of VMs."""

    def list_block_devices(self) -> list[Record]:
        with self.db.transaction():
            return [device.to_dict() for device in self.block_devices.all()]

    def get_block_device(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._block_device(uuid).to_dict()

    def create_block_device(self, caller: Caller, body: BlockDeviceCreate) -> TaskRef:
        """A disk, CD-ROM or firmware device on a VM; the cluster picks the lowest free slot of its type."""
        uuid = new_uuid()
        with self.db.transaction():
            vm = self._vm(body.virDomainUUID)
            self._check_new_block_device(vm, body.type, body.capacity, body.slot, body.path)

            def work() -> None:
                self._add_block_device(
                    vm,
                    body.type,
                    body.capacity,
                    uuid=uuid,
                    slot=body.slot,
                    cache_mode=body.cacheMode,
                    name=body.name,
                    path=body.path,
                    tiering=body.tieringPriorityFactor,
                    disable_snapshotting=body.disableSnapshotting,
                    read_only=body.readOnly,
                    mount_points=body.mountPoints,
                )

            task = self._task(
                caller,
                "Create block device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag), uuid)

    def update_block_device(self, caller: Caller, uuid: str, body: BlockDeviceUpdate) -> TaskRef:
        """Change a block device: the fields sent, as real clients send them (the Ansible collection re-sends
        every field it knows, ``slot`` and ``virDomainUUID`` included).

        Lenient where HyperCore is: an unchanged ``slot`` or ``virDomainUUID`` is accepted; an NVRAM or VTPM
        keeps slot -1 and its size whatever is sent (HyperCore ignores both there). Strict where it is: disk
        capacity only grows, ``virDomainUUID`` cannot change, a slot another device of the type holds is 400,
        unknown fields are 400 "Property not allowed". A new ``type`` keeps the slot sent, else the device
        takes the lowest free one of its new type. A CD-ROM's ``path`` inserts ("" ejects) an ISO.
        """
        sent = body.model_fields_set
        with self.db.transaction():
            device = self._block_device(uuid)
            vm = self._vm(device.vm_uuid)
            if "virDomainUUID" in sent and body.virDomainUUID != device.vm_uuid:
                raise BadRequest("virDomainUUID of a block device cannot be changed")
            new_type = body.type if "type" in sent else device.type
            if new_type != device.type and (new_type in FIRMWARE_TYPES or device.type in FIRMWARE_TYPES):
                raise BadRequest(f"A {device.type} block device cannot become {new_type}")
            is_disk = new_type not in FIRMWARE_TYPES and new_type != "IDE_CDROM"
            if "capacity" in sent and is_disk and body.capacity < device.capacity:
                raise BadRequest(
                    f"Disk capacity can only be expanded: {body.capacity} bytes < {device.capacity} bytes"
                )
            if "path" in sent:
                if new_type != "IDE_CDROM" and body.path:
                    raise BadRequest("Only an IDE_CDROM block device can have a path")
                self._check_cdrom_path(new_type, body.path)
            new_slot = device.slot
            if new_type in FIRMWARE_TYPES:
                new_slot = NO_SLOT
            elif "slot" in sent and body.slot is not None:
                new_slot = body.slot
                if new_slot < 0:
                    raise BadRequest(f"Invalid value for slot: {new_slot} (only NVRAM and VTPM have slot -1)")
            elif new_type != device.type:
                new_slot = self._free_slot(vm.uuid, new_type, None)
            if (new_type, new_slot) != (device.type, device.slot):
                self._check_slot(vm.uuid, new_type, new_slot)

            def work() -> None:
                device.type, device.slot = new_type, new_slot
                if "capacity" in sent and is_disk:
                    device.capacity = body.capacity
                if "cacheMode" in sent:
                    device.cache_mode = body.cacheMode
                if "tieringPriorityFactor" in sent:
                    device.tiering_priority_factor = body.tieringPriorityFactor
                if "disableSnapshotting" in sent:
                    device.disable_snapshotting = body.disableSnapshotting
                if "readOnly" in sent:
                    device.read_only = body.readOnly
                if "mountPoints" in sent:
                    device.mount_points = list(body.mountPoints)
                if "name" in sent:
                    device.name = body.name
                if "path" in sent and new_type == "IDE_CDROM":
                    self._insert_iso(device, body.path)
                self.block_devices.update(device)

            task = self._task(
                caller,
                "Update block device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    def delete_block_device(self, caller: Caller, uuid: str) -> TaskRef:
        """Remove a block device (and it from the boot order); disks cannot be unplugged from a running VM."""
        with self.db.transaction():
            device = self._block_device(uuid)
            vm = self._vm(device.vm_uuid)

            def work() -> None:
                if vm.state not in OFF_STATES and device.type in HOT_UNPLUG_REFUSED:
                    raise TaskRefused("Unable to delete block device from VM '%@': Still in use", vm.name)
                self.block_devices.delete(uuid)
                self._forget_boot_device(vm, uuid)

            task = self._task(
                caller,
                "Delete block device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    def _add_block_device(
        self,
        vm: Vm,
        kind: str,
        capacity: int,
        *,
        uuid: str | None = None,
        slot: int | None = None,
        cache_mode: str = "WRITETHROUGH",
        name: str = "",
        path: str = "",
        tiering: int = 8,
        disable_snapshotting: bool = False,
        read_only: bool = False,
        mount_points: list[str] | None = None,
        allocation: int = 0,
    ) -> BlockDevice:
        device = BlockDevice(
            uuid=uuid or new_uuid(),
            vm_uuid=vm.uuid,
            type=kind,
            slot=self._free_slot(vm.uuid, kind, slot),
            capacity=NVRAM_CAPACITY if kind == "NVRAM" else capacity,
            allocation=NVRAM_CAPACITY if kind == "NVRAM" else allocation,
            cache_mode=cache_mode,
            name=name,
            tiering_priority_factor=tiering,
            disable_snapshotting=disable_snapshotting,
            read_only=read_only,
            mount_points=list(mount_points or []),
            created=int(now()),
        )
        if kind == "IDE_CDROM":
            self._insert_iso(device, path)
        self.block_devices.insert(device)
        return device

    def _insert_iso(self, device: BlockDevice, path: str) -> None:
        """Put the ISO at ``path`` into a CD-ROM (``""``: eject); it shows the ISO's name and size."""
        iso = self.isos.where(path=path)[0] if path else None
        device.path = path
        device.name = iso.name if iso else ""
        device.capacity = iso.size if iso else 0

    def _free_slot(self, vm_uuid: str, kind: str, wanted: int | None) -> int:
        """``wanted`` if given, else the lowest slot no device of this type on the VM uses."""
        if kind in FIRMWARE_TYPES:
            return NO_SLOT
        if wanted is not None:
            return wanted
        used = {device.slot for device in self.block_devices.where(vm_uuid=vm_uuid, type=kind)}
        slot = 0
        while slot in used:
            slot += 1
        return slot

    def _missing_firmware(self, vm: Vm) -> list[str]:
        """The NVRAM/VTPM devices the VM's machine type needs and the VM lacks."""
        have = {device.type for device in self.block_devices.where(vm_uuid=vm.uuid)}
        return [kind for kind in FIRMWARE_DEVICES[vm.machine_type_keyword] if kind not in have]

    def _add_system_cdrom(self, vm: Vm, name: str, size: int) -> None:
        """A CD-ROM holding an ISO HyperCore makes itself (not in the ISO list), in the next free IDE slot."""
        used = {
            device.slot
            for device in self.block_devices.where(vm_uuid=vm.uuid)
            if device.type in ("IDE_CDROM", "IDE_DISK")
        }
        slot = min(set(range(len(used) + 1)) - used)
        device = BlockDevice(
            uuid=new_uuid(),
            vm_uuid=vm.uuid,
            type="IDE_CDROM",
            slot=slot,
            capacity=size,
            cache_mode="NONE",
            name=name,
            path=f"{SYSTEM_ISO_DIR}/{name}",
            created=int(now()),
        )
        self.block_devices.insert(device)

    def _check_new_block_device(self, vm: Vm, kind: str, capacity: int, slot: int | None, path: str) -> None:
        self._check_slot_value(kind, slot)
        if kind in FIRMWARE_TYPES and self.block_devices.where(vm_uuid=vm.uuid, type=kind):
            raise BadRequest(f"VM '{vm.name}' already has a {kind} device")
        if kind not in FIRMWARE_TYPES and kind != "IDE_CDROM" and capacity <= 0:
            raise BadRequest("capacity must be greater than 0 bytes for a disk")
        if path and kind != "IDE_CDROM":
            raise BadRequest("Only an IDE_CDROM block device can have a path")
        self._check_cdrom_path(kind, path)
        self._check_slot(vm.uuid, kind, slot)

    def _check_slot_value(self, kind: str, slot: int | None) -> None:
        if slot is not None and slot < 0 and kind not in FIRMWARE_TYPES:
            raise BadRequest(f"Invalid value for slot: {slot} (only NVRAM and VTPM have slot -1)")

    def _check_slot(self, vm_uuid: str, kind: str, slot: int | None) -> None:
        if (
            slot is not None
            and kind not in FIRMWARE_TYPES
            and self.block_devices.where(vm_uuid=vm_uuid, type=kind, slot=slot)
        ):
            raise BadRequest(f"Slot {slot} is already used by a {kind} device of this VM")

    def _check_cdrom_path(self, kind: str, path: str) -> None:
        if kind != "IDE_CDROM" or not path:
            return
        found = self.isos.where(path=path)
        if not found:
            raise BadRequest(f"No ISO has the path '{path}'")
        if not found[0].ready_for_insert:
            raise BadRequest(f"ISO '{found[0].name}' is not ready for insert")


def device_of_record(record: Record) -> BlockDevice:
    """A block device from its wire record (as a snapshot keeps it)."""
    return BlockDevice(
        uuid=record["uuid"],
        vm_uuid=record["virDomainUUID"],
        type=record["type"],
        slot=record["slot"],
        capacity=record["capacity"],
        allocation=record["allocation"],
        cache_mode=record["cacheMode"],
        name=record["name"],
        path=record["path"],
        disable_snapshotting=record["disableSnapshotting"],
        tiering_priority_factor=record["tieringPriorityFactor"],
        mount_points=list(record["mountPoints"]),
        read_only=record["readOnly"],
    )
