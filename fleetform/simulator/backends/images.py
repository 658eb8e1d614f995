"""Images: virtual disks (``/rest/v1/VirtualDisk``: upload, attach to a VM as a disk, delete) and ISOs
(``/rest/v1/ISO``).
"""

from __future__ import annotations

import struct
from pathlib import Path

from fleetform.simulator.backends.core import Caller, Record, new_uuid
from fleetform.simulator.backends.disks import BlockDeviceBackend
from fleetform.simulator.errors import BadRequest, TaskRefused
from fleetform.simulator.models import FIRMWARE_TYPES, Iso, TaskRef, VirtualDisk, now
from fleetform.simulator.schemas import IsoCreate, IsoUpdate, VirtualDiskAttach

IMAGE_EXTENSIONS = (".img", ".raw", ".qcow2", ".vmdk", ".vhd", ".vhdx")
QCOW2_MAGIC = b"QFI\xfb"


class ImageBackend(BlockDeviceBackend):
    """Virtual disks and ISOs; attaching one makes a block device."""

    def list_virtual_disks(self) -> list[Record]:
        with self.db.transaction():
            return [disk.to_dict() for disk in self.virtual_disks.all()]

    def get_virtual_disk(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._virtual_disk(uuid).to_dict()

    def upload_virtual_disk(self, caller: Caller, filename: str, filesize: str, staged: Path) -> TaskRef:
        """Keep an uploaded image (``staged``, which this takes over) as a new virtual disk named ``filename``.

        The name must carry a known image extension; ``filesize`` must equal the bytes received. The virtual
        size is read from a qcow2 header, else it is the file size (raw).
        """
        try:
            if not filename:
                raise BadRequest("The filename query parameter is required")
            if not filename.lower().endswith(IMAGE_EXTENSIONS):
                raise BadRequest("File type is invalid")
            if not filesize.isdigit():
                raise BadRequest("The filesize query parameter must be the size of the file in bytes")
            received = staged.stat().st_size
            if int(filesize) != received:
                raise BadRequest(f"filesize is {filesize} but {received} bytes were sent")
            capacity = _virtual_size(staged)
            uuid = new_uuid()
            target = Path("virtual-disks") / uuid
            with self.db.transaction():

                def work() -> None:
                    disk = VirtualDisk(uuid, filename, str(target), capacity, received, created=int(now()))
                    self.virtual_disks.insert(disk)

                task = self._task(caller, "Upload virtual disk %@", [filename], uuid, work)
                if task.outcome == "COMPLETE":
                    (self.data_dir / target).parent.mkdir(parents=True, exist_ok=True)
                    staged.replace(self.data_dir / target)
        finally:
            staged.unlink(missing_ok=True)
        return TaskRef(str(task.tag), uuid)

    def attach_virtual_disk(self, caller: Caller, uuid: str, body: VirtualDiskAttach) -> TaskRef:
        """Copy a virtual disk onto a VM as a new block device, at least as large as the image."""
        template = body.template
        device_uuid = new_uuid()
        with self.db.transaction():
            disk = self._virtual_disk(uuid)
            vm = self._vm(template.virDomainUUID)
            if template.type in FIRMWARE_TYPES or template.type == "IDE_CDROM":
                raise BadRequest(f"A virtual disk cannot be attached as {template.type}")
            self._check_slot(vm.uuid, template.type, template.slot)

            def work() -> None:
                self._add_block_device(
                    vm,
                    template.type,
                    max(template.capacity, disk.capacity_bytes),
                    uuid=device_uuid,
                    slot=template.slot,
                    cache_mode=template.cacheMode,
                    tiering=template.tieringPriorityFactor,
                    disable_snapshotting=template.disableSnapshotting,
                    read_only=template.readOnly or body.options.readOnly,
                    allocation=disk.total_allocation_bytes,
                )

            task = self._task(
                caller,
                "Attach virtual disk %@ to VM %@",
                [disk.name, vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag), device_uuid)

    def delete_virtual_disk(self, caller: Caller, uuid: str) -> TaskRef:
        """Remove an image; block devices made from it are copies and stay."""
        with self.db.transaction():
            disk = self._virtual_disk(uuid)
            task = self._task(
                caller, "Delete virtual disk %@", [disk.name], uuid, lambda: self.virtual_disks.delete(uuid)
            )
        if task.outcome == "COMPLETE":
            (self.data_dir / disk.file).unlink(missing_ok=True)
        return TaskRef(str(task.tag))

    def list_isos(self) -> list[Record]:
        with self.db.transaction():
            return [self._iso_record(iso) for iso in self.isos.all()]

    def get_iso(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._iso_record(self._iso(uuid))

    def create_iso(self, caller: Caller, body: IsoCreate) -> TaskRef:
        """Announce an ISO (its bytes follow with :meth:`upload_iso_data`); names are unique."""
        uuid = new_uuid()
        with self.db.transaction():
            self._check_iso_name(body.name)
            iso = Iso(uuid, body.name, body.size, f"scribe/{uuid}", body.readyForInsert, created=int(now()))
            task = self._task(caller, "Create ISO %@", [body.name], uuid, lambda: self.isos.insert(iso))
        return TaskRef(str(task.tag), uuid)

    def upload_iso_data(self, caller: Caller, uuid: str, staged: Path) -> TaskRef:
        """Store an ISO's bytes (``staged``, which this takes over); its size becomes what was received."""
        try:
            with self.db.transaction():
                iso = self._iso(uuid)
                target = Path("isos") / uuid

                def work() -> None:
                    iso.size, iso.file = staged.stat().st_size, str(target)
                    self.isos.update(iso)

                task = self._task(caller, "Upload ISO %@", [iso.name], uuid, work)
                if task.outcome == "COMPLETE":
                    (self.data_dir / target).parent.mkdir(parents=True, exist_ok=True)
                    staged.replace(self.data_dir / target)
        finally:
            staged.unlink(missing_ok=True)
        return TaskRef(str(task.tag))

    def update_iso(self, caller: Caller, uuid: str, body: IsoUpdate) -> TaskRef:
        sent = body.model_fields_set
        with self.db.transaction():
            iso = self._iso(uuid)
            if "name" in sent and body.name != iso.name:
                self._check_iso_name(body.name)

            def work() -> None:
                if "name" in sent:
                    iso.name = body.name
                if "size" in sent:
                    iso.size = body.size
                if "readyForInsert" in sent:
                    iso.ready_for_insert = body.readyForInsert
                self.isos.update(iso)

            task = self._task(caller, "Update ISO %@", [iso.name], uuid, work)
        return TaskRef(str(task.tag))

    def delete_iso(self, caller: Caller, uuid: str) -> TaskRef:
        """Remove an ISO; refused (task ERROR) while a CD-ROM holds it."""
        with self.db.transaction():
            iso = self._iso(uuid)
            mounts = self._iso_mounts(iso)

            def work() -> None:
                if mounts:
                    raise TaskRefused(
                        "Unable to delete ISO '%@': it is inserted in VM '%@'", iso.name, mounts[0]["vmName"]
                    )
                self.isos.delete(uuid)

            task = self._task(caller, "Delete ISO %@", [iso.name], uuid, work)
        if task.outcome == "COMPLETE" and iso.file:
            (self.data_dir / iso.file).unlink(missing_ok=True)
        return TaskRef(str(task.tag))

    # --- VirDomainSnapshotSchedule --------------------------------------------------------------
    # Schedule changes take effect at once and answer an empty task tag, as on HyperCore (the Ansible
    # collection's snapshot_schedule module: "No task tag is returned with DELETE", and create returns "").

    def _iso_record(self, iso: Iso) -> Record:
        return iso.to_dict(self._iso_mounts(iso))

    def _iso_mounts(self, iso: Iso) -> list[dict[str, str]]:
        mounts = []
        for device in self.block_devices.where(type="IDE_CDROM"):
            if device.path == iso.path:
                vm = self.vms.get(device.vm_uuid)
                mounts.append({"vmUUID": device.vm_uuid, "vmName": vm.name if vm else ""})
        return mounts

    def _check_iso_name(self, name: str) -> None:
        if self.isos.where(name=name):
            raise BadRequest(f"An ISO named '{name}' already exists")


def _virtual_size(path: Path) -> int:
    """The disk size an image stands for: a qcow2 header's virtual size, else the file's size."""
    with path.open("rb") as image:
        header = image.read(32)
    if len(header) >= 32 and header[:4] == QCOW2_MAGIC:
        return int(struct.unpack(">Q", header[24:32])[0])
    return path.stat().st_size
