"""The simulated HyperCore cluster: one verb method per REST operation, over the SQLite tables.

Every verb runs in one database transaction. Verbs validate against the cluster's contents and raise
:mod:`~fleetform.simulator.errors` (404 for unknown UUIDs, 400 for requests the cluster refuses outright).
Mutations are tasks (:meth:`Backend._task`): their effect is applied at request time, inside a savepoint, and
a :class:`TaskRefused` rule or an injected task fault rolls the effect back and records the task as ERROR, so a
failed task never leaves half a VM behind. The HTTP layer only parses, calls a verb and serializes.

Shortcuts this fake takes (where it is simpler than HyperCore):

- Effects are immediate; only the TaskTag record pretends to take ``task_seconds`` (QUEUED, then RUNNING,
  then COMPLETE or ERROR). The busy model is per VM and deterministic: a task on a VM whose last task is still
  in flight is refused with HTTP 500 (HyperCore's 500 is intermittent and may also hit other calls); tasks on
  ISOs, virtual disks, the cluster and schedules are never busy.
- An ACPI SHUTDOWN always works (after ``shutdown_seconds``) unless an ``ignore_shutdown`` fault says the guest
  ignores it; PAUSED guests ignore it.
- Guests report no IP addresses unless ``guest_agent`` is on; then every connected NIC of a RUNNING VM reports
  one made-up address derived from its VLAN and MAC.
- vCPU and memory changes apply at once, even to a running VM; disks can be hot-plugged of any type.
- Import/export and VM placement by resources are not simulated.
- The cloud-init and guest tools CD-ROMs hold ISOs that exist only as names (``cloud-init-<uuid8>.iso``,
  ``scale-guest-tools-<version>.iso``; not in the ISO list), with made-up sizes, in the lowest IDE slot no
  IDE_DISK or IDE_CDROM uses. A clone with cloud-init data gives a copied cloud-init drive the new ISO rather
  than adding a second one (a guess). Guest tools go only to VMs whose ``operatingSystem`` is a Windows one.
- A UEFI/vTPM VM missing its NVRAM/VTPM device fails to START with the simulator's own wording; on HyperCore
  it does not boot (and, per the Ansible collection, its machine type can then not be changed back). The
  record's machine type changes at once, also on a running VM; which firmware the running guest uses is not
  modelled.
- Snapshot schedules are records only: no snapshot is ever taken by a schedule and retention never deletes
  one. A snapshot copies the VM's record, not data; replication copies nothing (the target VM's UUID is made
  up, and a remote cluster connection exists only when the admin API seeds one). Deleting a schedule that VMs
  use clears their ``snapshotScheduleUUID`` (HyperCore's behaviour here is not known).
- Image formats other than qcow2 are taken as raw: their virtual size is the file size. Nothing is converted,
  and an uploaded image keeps its name from the start (no ``uploading-``/``converting-`` names).
- A create or clone whose task fails still answers the UUID it would have had (``createdUUID``), as the
  answer comes before the task runs; that UUID then names nothing (404).
- Block-device slots are per type, except for the drives above; HyperCore moves an IDE disk when a CD-ROM
  takes its slot (the collection's vm_disk test), the simulator answers 400 for a slot in use.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
import shutil
import struct
import uuid as uuidlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fleetform.simulator.db import Database, Table
from fleetform.simulator.errors import BadRequest, InternalError, NotFound, TaskRefused, Unauthorized
from fleetform.simulator.faults import FaultBook
from fleetform.simulator.models import (
    CLOUD_INIT_ISO_SIZE,
    DEFAULT_TASK_SECONDS,
    EMPTY_TASK,
    FIRMWARE_DEVICES,
    FIRMWARE_TYPES,
    GIB,
    GUEST_TOOLS_ISO,
    GUEST_TOOLS_ISO_SIZE,
    HOT_UNPLUG_REFUSED,
    ICOS_VERSION,
    KEYWORD_OF_MACHINE_TYPE,
    MAC_PREFIX,
    MACHINE_TYPES,
    NO_SLOT,
    NVRAM_CAPACITY,
    PENDING_TASK_STATES,
    SEED_FIRMWARE_CAPACITY,
    SYSTEM_ISO_DIR,
    ActionRecord,
    BlockDevice,
    Iso,
    NetDevice,
    Node,
    RemoteConnection,
    Replication,
    Session,
    Snapshot,
    SnapshotSchedule,
    Task,
    TaskRef,
    VirtualDisk,
    Vm,
    now,
)
from fleetform.simulator.schemas import (
    Action,
    BlockDeviceClone,
    BlockDeviceCreate,
    BlockDeviceUpdate,
    ClusterUpdate,
    IsoCreate,
    IsoUpdate,
    NetDeviceCreate,
    NetDeviceUpdate,
    ReplicationCreate,
    ReplicationUpdate,
    SnapshotCreate,
    SnapshotScheduleCreate,
    SnapshotScheduleUpdate,
    VirDomainClone,
    VirDomainCreate,
    VirDomainUpdate,
    VirtualDiskAttach,
)

DATABASE_FILE = "hypercore.sqlite3"
IMAGE_EXTENSIONS = (".img", ".raw", ".qcow2", ".vmdk", ".vhd", ".vhdx")
QCOW2_MAGIC = b"QFI\xfb"
OFF_STATES = ("SHUTOFF", "SHUTDOWN", "CRASHED")
Record = dict[str, Any]


@dataclass(frozen=True)
class Caller:
    """The request being served, as far as tasks and task faults need to know it."""

    method: str = ""
    path: str = ""
    session_id: str = ""


@dataclass
class Timing:
    """Behaviour that tests may change while the simulator runs (``PATCH /admin/settings``)."""

    task_seconds: float = DEFAULT_TASK_SECONDS
    """How long every task reports QUEUED/RUNNING before its final state."""
    shutdown_seconds: float = 0.0
    """How long a guest takes to power off after an ACPI SHUTDOWN."""
    guest_agent: bool = False
    """Whether running guests report IPv4 addresses."""
    busy_vms: bool = True
    """Whether a request that would start a task on a VM whose task is still running gets HTTP 500."""


@dataclass
class Seed:
    """What a fresh (or reset) cluster starts with."""

    templates: dict[str, str] = dataclasses.field(default_factory=dict)
    """machineTypeKeyword -> name of an empty template VM of that machine type."""
    vlans: dict[int, str] = dataclasses.field(default_factory=dict)
    """VLAN id -> network name, as the site configuration names them."""


def new_uuid() -> str:
    return str(uuidlib.uuid4())


class Backend:
    """The cluster: its VMs, devices, images, tasks and sessions, persisted under ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        username: str = "admin",
        password: str = "admin",
        nodes: int = 1,
        timing: Timing | None = None,
        faults: FaultBook | None = None,
        seed: Seed | None = None,
    ):
        self.data_dir = data_dir
        self.username = username
        self.password = password
        self.timing = timing or Timing()
        self.faults = faults or FaultBook()
        self.seed_data = seed or Seed()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(data_dir / DATABASE_FILE)
        self.vms = Table(self.db, "vms", Vm, ("name",))
        self.block_devices = Table(self.db, "block_devices", BlockDevice, ("vm_uuid", "type", "slot"))
        self.net_devices = Table(self.db, "net_devices", NetDevice, ("vm_uuid", "mac_address"))
        self.virtual_disks = Table(self.db, "virtual_disks", VirtualDisk, ("name",))
        self.isos = Table(self.db, "isos", Iso, ("name", "path"))
        self.sessions = Table(self.db, "sessions", Session)
        self.schedules = Table(self.db, "snapshot_schedules", SnapshotSchedule, ("name",))
        self.snapshots = Table(self.db, "snapshots", Snapshot, ("vm_uuid",))
        self.connections = Table(self.db, "remote_connections", RemoteConnection)
        self.replications = Table(self.db, "replications", Replication, ("vm_uuid",))
        with self.db.transaction():
            cluster_uuid = self.db.meta("cluster_uuid")
            if cluster_uuid is None:
                cluster_uuid = new_uuid()
                self.db.set_meta("cluster_uuid", cluster_uuid)
                self.db.set_meta("cluster_name", "fleetform-simulator")
        self.cluster_uuid = cluster_uuid
        namespace = uuidlib.UUID(cluster_uuid)
        self.nodes = [
            Node(str(uuidlib.uuid5(namespace, f"node-{peer}")), peer) for peer in range(1, nodes + 1)
        ]
        self.seed()

    def close(self) -> None:
        self.db.close()

    # --- sessions -------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> str:
        """Start a session; its ID (the ``sessionID`` cookie). Sessions survive a restart."""
        if not self.credentials_valid(username, password):
            raise Unauthorized("Invalid username or password")
        session = Session(new_uuid(), username, now())
        with self.db.transaction():
            self.sessions.insert(session)
        return session.uuid

    def logout(self, session_id: str) -> None:
        with self.db.transaction():
            self.sessions.delete(session_id)

    def session_valid(self, session_id: str) -> bool:
        return bool(session_id) and self.sessions.get(session_id) is not None

    def credentials_valid(self, username: str, password: str) -> bool:
        return hmac.compare_digest(username.encode(), self.username.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode()
        )

    # --- VirDomain ------------------------------------------------------------------------------

    def list_vms(self) -> list[Record]:
        with self.db.transaction():
            return self._vm_records(self._settled(self.vms.all()))

    def get_vm(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._vm_records([self._vm(uuid)])[0]

    def create_vm(self, caller: Caller, body: VirDomainCreate) -> TaskRef:
        """A new VM (SHUTOFF unless ``dom.state`` asks to start it); unset fields get defaults.

        Defaults where HyperCore's are not documented: 1 GiB, 1 vCPU, BIOS machine type.
        ``dom.blockDevs[].uuid`` and ``dom.bootDevices`` may use labels such as "primaryDrive".
        """
        dom, options = body.dom, body.options
        keyword, machine_type = _machine_type(dom.machineType, options.machineTypeKeyword)
        labels = [dev.uuid for dev in dom.blockDevs if dev.uuid] + [
            nic.uuid for nic in dom.netDevs if nic.uuid
        ]
        unknown = [label for label in dom.bootDevices if label not in labels]
        if unknown:
            raise BadRequest(f"bootDevices names devices that are not in this VM: {', '.join(unknown)}")
        uuid = new_uuid()
        with self.db.transaction():
            self._check_nodes(dom.affinityStrategy.preferredNodeUUID, dom.affinityStrategy.backupNodeUUID)
            self._check_schedule(dom.snapshotScheduleUUID)
            for spec in dom.blockDevs:
                self._check_slot_value(spec.type, spec.slot)
                self._check_cdrom_path(spec.type, spec.path)

            def work() -> None:
                vm = Vm(
                    uuid=uuid,
                    name=dom.name,
                    description=dom.description,
                    tags=dom.tags,
                    mem=dom.mem or GIB,
                    num_vcpu=dom.numVCPU or 1,
                    machine_type_keyword=keyword,
                    machine_type=machine_type,
                    operating_system=dom.operatingSystem,
                    node_uuid=self.nodes[0].uuid,
                    strict_affinity=dom.affinityStrategy.strictAffinity,
                    preferred_node_uuid=dom.affinityStrategy.preferredNodeUUID,
                    backup_node_uuid=dom.affinityStrategy.backupNodeUUID,
                    snapshot_schedule_uuid=dom.snapshotScheduleUUID,
                    user_data=dom.cloudInitData.userData,
                    meta_data=dom.cloudInitData.metaData,
                    attach_guest_tools_iso=options.attachGuestToolsISO,
                    created=int(now()),
                )
                self.vms.insert(vm)
                real: dict[str, str] = {}
                for spec in dom.blockDevs:
                    device = self._add_block_device(
                        vm,
                        spec.type,
                        spec.capacity,
                        slot=spec.slot,
                        cache_mode=spec.cacheMode,
                        path=spec.path,
                        tiering=spec.tieringPriorityFactor,
                        disable_snapshotting=spec.disableSnapshotting,
                        read_only=spec.readOnly,
                        mount_points=spec.mountPoints,
                    )
                    real[spec.uuid] = device.uuid
                for nic_spec in dom.netDevs:
                    nic = self._add_net_device(
                        vm.uuid, nic_spec.type, nic_spec.vlan, nic_spec.macAddress, nic_spec.connected
                    )
                    real[nic_spec.uuid] = nic.uuid
                vm.boot_devices = [real[label] for label in dom.bootDevices]
                if options.attachGuestToolsISO:
                    self._attach_guest_tools(vm)
                self._attach_cloud_init(vm)
                if dom.state in ("RUNNING", "START"):
                    self._start(vm)
                self.vms.update(vm)

            task = self._task(caller, "Create VM %@", [dom.name], uuid, work, vm_uuids=[uuid])
        return TaskRef(str(task.tag), uuid)

    def clone_vm(self, caller: Caller, source_uuid: str, body: VirDomainClone) -> TaskRef:
        """A SHUTOFF copy of the source: its disks (new UUIDs, same slots), machine type and NICs.

        NICs get new MACs, unless ``template.netDevs`` is given, which then replaces them. Description, tags,
        memory and vCPUs come from the source unless the template sets them; cloud-init is what the template
        sends (none if it sends none). ``bootDevices`` starts empty, as on HyperCore. With ``snapUUID`` (a
        snapshot of the source) the disks are the snapshot's.
        """
        template = body.template
        uuid = new_uuid()
        with self.db.transaction():
            source = self._vm(source_uuid)
            self._check_not_busy(source.uuid)  # HyperCore snapshots the source to clone it
            snapshot = self._snapshot(body.snapUUID) if body.snapUUID else None
            if snapshot is not None and snapshot.vm_uuid != source.uuid:
                raise BadRequest(f"Snapshot '{body.snapUUID}' is not a snapshot of VM '{source.name}'")
            affinity = template.affinityStrategy
            if affinity is not None:
                self._check_nodes(affinity.preferredNodeUUID, affinity.backupNodeUUID)

            def work() -> None:
                vm = replace(
                    source,
                    uuid=uuid,
                    name=template.name,
                    description=source.description if template.description is None else template.description,
                    tags=source.tags if template.tags is None else template.tags,
                    mem=template.mem or source.mem,
                    num_vcpu=template.numVCPU or source.num_vcpu,
                    state="SHUTOFF",
                    desired_disposition="SHUTOFF",
                    boot_devices=[],
                    node_uuid=self.nodes[0].uuid,
                    snapshot_schedule_uuid="",
                    user_data=template.cloudInitData.userData,
                    meta_data=template.cloudInitData.metaData,
                    created=int(now()),
                    latest_task_tag="",
                    snapshot_serial_number=0,
                    shutoff_at=None,
                )
                if affinity is not None:
                    vm.strict_affinity = affinity.strictAffinity
                    vm.preferred_node_uuid = affinity.preferredNodeUUID
                    vm.backup_node_uuid = affinity.backupNodeUUID
                self.vms.insert(vm)
                devices = (
                    self.block_devices.where(vm_uuid=source.uuid)
                    if snapshot is None
                    else [_device_of_record(record) for record in snapshot.domain.get("blockDevs", [])]
                )
                for device in devices:
                    self.block_devices.insert(
                        replace(device, uuid=new_uuid(), vm_uuid=uuid, created=int(now()))
                    )
                self._attach_cloud_init(vm)
                if template.netDevs is None:
                    for nic in self.net_devices.where(vm_uuid=source.uuid):
                        self._add_net_device(uuid, nic.type, nic.vlan, "", nic.connected)
                else:
                    for spec in template.netDevs:
                        self._add_net_device(uuid, spec.type, spec.vlan, spec.macAddress, spec.connected)

            task = self._task(
                caller, "Clone VM %@ to %@", [source.name, template.name], uuid, work, vm_uuids=[uuid]
            )
        return TaskRef(str(task.tag), uuid)

    def update_vm(self, caller: Caller, uuid: str, body: VirDomainUpdate) -> TaskRef:
        """Change the fields sent. A machine-type change needs a SHUTOFF VM and swaps its firmware devices."""
        sent = body.model_fields_set
        with self.db.transaction():
            vm = self._vm(uuid)
            affinity = body.affinity() if "affinityStrategy" in sent else {}
            self._check_nodes(affinity.get("preferredNodeUUID", ""), affinity.get("backupNodeUUID", ""))
            if "bootDevices" in sent:
                self._check_boot_devices(vm, body.bootDevices)
            if "snapshotScheduleUUID" in sent:
                self._check_schedule(body.snapshotScheduleUUID)
            keyword = vm.machine_type_keyword
            if "machineType" in sent:
                keyword, _ = _machine_type(body.machineType, None)

            def work() -> None:
                if "name" in sent:
                    vm.name = body.name
                if "description" in sent:
                    vm.description = body.description
                if "tags" in sent:
                    vm.tags = body.tags
                if "mem" in sent:
                    vm.mem = body.mem
                if "numVCPU" in sent:
                    vm.num_vcpu = body.numVCPU
                if "bootDevices" in sent:
                    vm.boot_devices = list(body.bootDevices)
                if "snapshotScheduleUUID" in sent:
                    vm.snapshot_schedule_uuid = body.snapshotScheduleUUID
                if "operatingSystem" in sent:
                    vm.operating_system = body.operatingSystem
                vm.strict_affinity = affinity.get("strictAffinity", vm.strict_affinity)
                vm.preferred_node_uuid = affinity.get("preferredNodeUUID", vm.preferred_node_uuid)
                vm.backup_node_uuid = affinity.get("backupNodeUUID", vm.backup_node_uuid)
                if "machineType" in sent:
                    # Accepted on a running VM too: the guest gets the new firmware at its next boot. The
                    # client adds the NVRAM/VTPM devices it needs; a VM without them does not start.
                    vm.machine_type, vm.machine_type_keyword = body.machineType, keyword
                self.vms.update(vm)

            task = self._task(caller, "Update VM %@", [vm.name], uuid, work, vm_uuids=[uuid])
        return TaskRef(str(task.tag))

    def delete_vm(self, caller: Caller, uuid: str) -> TaskRef:
        """Remove a VM and its devices. A VM that is not shut off is refused (the task ends in ERROR)."""
        with self.db.transaction():
            vm = self._vm(uuid)

            def work() -> None:
                if vm.state not in OFF_STATES:
                    raise TaskRefused(
                        "Unable to delete VM '%@': the VM is %@; shut it down first", vm.name, vm.state
                    )
                self.vms.delete(uuid)  # its devices go with it (ON DELETE CASCADE)

            task = self._task(caller, "Delete VM %@", [vm.name], uuid, work, vm_uuids=[uuid])
        return TaskRef(str(task.tag))

    # --- power actions --------------------------------------------------------------------------

    def vm_actions(self, caller: Caller, actions: list[Action]) -> TaskRef:
        """Power actions, in order, as one task; every action is written to the action log.

        A request of only SHUTDOWNs answers an empty task tag (HyperCore's ACPI shutdown has no task), and a
        second SHUTDOWN before the guest acted on the first is HTTP 500; RESET of a VM that is not running is
        HyperCore's HTTP 500.
        """
        with self.db.transaction():
            for action in actions:
                vm = self._vm(action.virDomainUUID)
                if action.actionType == "RESET" and vm.state != "RUNNING":
                    raise InternalError()
                if action.actionType == "LIVEMIGRATE" and action.nodeUUID:
                    self._check_nodes(action.nodeUUID)
            if all(action.actionType == "SHUTDOWN" for action in actions):
                self._check_not_busy(*(action.virDomainUUID for action in actions))
                for action in actions:
                    vm = self._vm(action.virDomainUUID)
                    if self.timing.busy_vms and vm.state == "RUNNING" and vm.desired_disposition == "SHUTOFF":
                        # A second ACPI shutdown while the guest has not acted on the first: HyperCore 9.1-9.4
                        # answer 500 (the collection's vm_params__power_state test avoids sending it).
                        raise InternalError()
                    self._power(vm, action)
                    self._log_action(vm, action.actionType, "", "")
                return TaskRef("")

            def work() -> None:
                for action in actions:
                    self._power(self._vm(action.virDomainUUID), action)

            names = [self._vm(action.virDomainUUID).name for action in actions]
            kinds = sorted({action.actionType for action in actions})
            task = self._task(
                caller,
                "Power action %@ on VM %@",
                ["/".join(kinds), ", ".join(names)],
                actions[0].virDomainUUID,
                work,
                vm_uuids=[action.virDomainUUID for action in actions],
            )
            error = _fill(task.message, task.message_parameters) if task.outcome == "ERROR" else ""
            for action in actions:
                self._log_action(self._vm(action.virDomainUUID), action.actionType, str(task.tag), error)
        return TaskRef(str(task.tag))

    def actions_log(self) -> list[Record]:
        """Every power action so far, oldest first (the admin API's action log)."""
        return [ActionRecord(**row).to_dict() for row in self.db.rows("actions")]

    def _power(self, vm: Vm, action: Action) -> None:
        kind = action.actionType
        if kind == "START":
            self._start(vm)
        elif kind == "SHUTDOWN":
            vm.desired_disposition = "SHUTOFF"
            if vm.state == "RUNNING" and self.faults.take_ignore_shutdown(vm.name) is None:
                if self.timing.shutdown_seconds > 0:
                    vm.shutoff_at = now() + self.timing.shutdown_seconds
                else:
                    vm.state = "SHUTOFF"
        elif kind == "STOP":
            vm.state, vm.desired_disposition, vm.shutoff_at = "SHUTOFF", "SHUTOFF", None
        elif vm.state != "RUNNING":
            raise TaskRefused("Unable to %@ VM '%@': the VM is %@", kind, vm.name, vm.state)
        elif kind == "PAUSE":
            vm.state, vm.desired_disposition = "PAUSED", "PAUSED"
        elif kind == "LIVEMIGRATE":
            others = [node.uuid for node in self.nodes if node.uuid != vm.node_uuid]
            vm.node_uuid = action.nodeUUID or (others[0] if others else vm.node_uuid)
        # REBOOT, RESET and NMI leave a running VM running.
        self.vms.update(vm)

    def _start(self, vm: Vm) -> None:
        missing = self._missing_firmware(vm)
        if missing and vm.state != "RUNNING":
            # HyperCore accepts the machine type without the devices, but the VM then does not boot (the Ansible
            # collection refuses such a change for that reason); the wording here is the simulator's.
            raise TaskRefused(
                "Unable to start VM '%@': machine type %@ needs a %@ device",
                vm.name,
                vm.machine_type,
                missing[0],
            )
        if vm.state != "RUNNING":
            vm.state = "RUNNING"
            vm.node_uuid = vm.preferred_node_uuid or vm.node_uuid or self.nodes[0].uuid
        vm.desired_disposition, vm.shutoff_at = "RUNNING", None

    def _log_action(self, vm: Vm, action_type: str, task_tag: str, error: str) -> None:
        record = ActionRecord(
            seq=self.db.next_sequence("actions"),
            time=now(),
            vm_uuid=vm.uuid,
            vm_name=vm.name,
            action_type=action_type,
            state=vm.state,
            desired_disposition=vm.desired_disposition,
            task_tag=task_tag,
            error=error,
        )
        self.db.append("actions", dataclasses.asdict(record))

    # --- VirDomainBlockDevice -------------------------------------------------------------------

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

    # --- VirDomainNetDevice ---------------------------------------------------------------------

    def list_net_devices(self) -> list[Record]:
        with self.db.transaction():
            return [self._nic_record(nic, None) for nic in self.net_devices.all()]

    def get_net_device(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._nic_record(self._net_device(uuid), None)

    def create_net_device(self, caller: Caller, body: NetDeviceCreate) -> TaskRef:
        """A NIC on any VLAN (HyperCore does not manage VLANs); without a MAC the cluster makes a unique one."""
        uuid = new_uuid()
        with self.db.transaction():
            vm = self._vm(body.virDomainUUID)

            def work() -> None:
                self._add_net_device(
                    vm.uuid, body.type, body.vlan, body.macAddress, body.connected, uuid=uuid
                )

            task = self._task(
                caller,
                "Create network device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag), uuid)

    def update_net_device(self, caller: Caller, uuid: str, body: NetDeviceUpdate) -> TaskRef:
        sent = body.model_fields_set
        with self.db.transaction():
            nic = self._net_device(uuid)
            vm = self._vm(nic.vm_uuid)
            if "virDomainUUID" in sent and body.virDomainUUID != nic.vm_uuid:
                raise BadRequest("virDomainUUID of a network device cannot be changed")

            def work() -> None:
                if "type" in sent:
                    nic.type = body.type
                if "vlan" in sent:
                    nic.vlan = body.vlan
                if "macAddress" in sent:
                    nic.mac_address = body.macAddress or self._new_mac()
                if "connected" in sent:
                    nic.connected = body.connected
                self.net_devices.update(nic)

            task = self._task(
                caller,
                "Update network device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    def delete_net_device(self, caller: Caller, uuid: str) -> TaskRef:
        with self.db.transaction():
            nic = self._net_device(uuid)
            vm = self._vm(nic.vm_uuid)

            def work() -> None:
                self.net_devices.delete(uuid)
                self._forget_boot_device(vm, uuid)

            task = self._task(
                caller,
                "Delete network device %@ for Virtual Machine %@",
                [uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    # --- VirtualDisk ----------------------------------------------------------------------------

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

    # --- ISO ------------------------------------------------------------------------------------

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

    def list_snapshot_schedules(self) -> list[Record]:
        with self.db.transaction():
            return [schedule.to_dict() for schedule in self.schedules.all()]

    def get_snapshot_schedule(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._schedule(uuid).to_dict()

    def create_snapshot_schedule(self, body: SnapshotScheduleCreate) -> TaskRef:
        """A schedule with its rules (each gets a UUID); answers an empty task tag and the new UUID."""
        uuid = new_uuid()
        with self.db.transaction():
            self.schedules.insert(SnapshotSchedule(uuid, body.name, _rules(body.rrules)))
        return TaskRef("", uuid)

    def update_snapshot_schedule(self, uuid: str, body: SnapshotScheduleUpdate) -> TaskRef:
        """Rename and/or replace every rule (``rrules`` is the whole new list); an empty task tag."""
        sent = body.model_fields_set
        with self.db.transaction():
            schedule = self._schedule(uuid)
            if "name" in sent:
                schedule.name = body.name
            if "rrules" in sent:
                schedule.rrules = _rules(body.rrules)
            self.schedules.update(schedule)
        return TaskRef("")

    def delete_snapshot_schedule(self, uuid: str) -> TaskRef:
        """Remove a schedule; VMs that used it are left without one. An empty task tag."""
        with self.db.transaction():
            self._schedule(uuid)
            for vm in self.vms.all():
                if vm.snapshot_schedule_uuid == uuid:
                    vm.snapshot_schedule_uuid = ""
                    self.vms.update(vm)
            self.schedules.delete(uuid)
        return TaskRef("")

    # --- VirDomainSnapshot ----------------------------------------------------------------------

    def list_snapshots(self) -> list[Record]:
        with self.db.transaction():
            return [snapshot.to_dict() for snapshot in self.snapshots.all()]

    def get_snapshot(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._snapshot(uuid).to_dict()

    def create_snapshot(self, caller: Caller, body: SnapshotCreate) -> TaskRef:
        """A snapshot of a VM (running or not): its record as it is now and its disks' contents.

        The VM's ``snapshotSerialNumber`` counts up by one; the snapshot keeps the new value in ``domain``.
        CD-ROMs and disks with ``disableSnapshotting`` are left out of ``deviceSnapshots``.
        """
        uuid = new_uuid()
        with self.db.transaction():
            vm = self._vm(body.domainUUID)

            def work() -> None:
                vm.snapshot_serial_number += 1
                self.vms.update(vm)
                devices = [
                    {"uuid": device.uuid, "serialNumber": vm.snapshot_serial_number}
                    for device in self.block_devices.where(vm_uuid=vm.uuid)
                    if device.type != "IDE_CDROM" and not device.disable_snapshotting
                ]
                snapshot = Snapshot(
                    uuid=uuid,
                    vm_uuid=vm.uuid,
                    label=body.label,
                    domain=self._vm_records([vm])[0],
                    device_snapshots=devices,
                    timestamp=int(now()),
                    type=body.type,
                    replication=body.replication,
                    automated_trigger_timestamp=body.automatedTriggerTimestamp,
                    local_retain_until_timestamp=body.localRetainUntilTimestamp,
                    remote_retain_until_timestamp=body.remoteRetainUntilTimestamp,
                    block_count_diff_from_serial_number=body.blockCountDiffFromSerialNumber,
                )
                self.snapshots.insert(snapshot)

            task = self._task(
                caller, "Create snapshot of VM %@", [vm.name], vm.uuid, work, vm_uuids=[vm.uuid]
            )
        return TaskRef(str(task.tag), uuid)

    def delete_snapshot(self, caller: Caller, uuid: str) -> TaskRef:
        with self.db.transaction():
            snapshot = self._snapshot(uuid)
            vm = self._vm(snapshot.vm_uuid)
            task = self._task(
                caller,
                "Delete snapshot %@ of VM %@",
                [snapshot.label, vm.name],
                vm.uuid,
                lambda: self.snapshots.delete(uuid),
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag))

    def clone_block_device(self, caller: Caller, device_uuid: str, body: BlockDeviceClone) -> TaskRef:
        """A disk as a VM snapshot holds it (``device_uuid``: the disk's UUID when the snapshot was taken),
        attached to ``template.virDomainUUID`` at ``template.slot`` or the next free slot.

        The template's ``name`` is dropped, as on HyperCore; the capacity is at least the disk's.
        """
        template = body.template
        new_device = new_uuid()
        with self.db.transaction():
            snapshot = self._snapshot(body.snapUUID)
            source = next(
                (dev for dev in snapshot.domain.get("blockDevs", []) if dev.get("uuid") == device_uuid), None
            )
            if source is None or device_uuid not in {d["uuid"] for d in snapshot.device_snapshots}:
                raise NotFound(f"Snapshot '{body.snapUUID}' holds no block device '{device_uuid}'")
            vm = self._vm(template.virDomainUUID)
            self._check_slot(vm.uuid, template.type, template.slot)

            def work() -> None:
                self._add_block_device(
                    vm,
                    template.type,
                    max(template.capacity, int(source.get("capacity", 0))),
                    uuid=new_device,
                    slot=template.slot,
                    cache_mode=template.cacheMode,
                    tiering=template.tieringPriorityFactor,
                    disable_snapshotting=template.disableSnapshotting,
                    read_only=template.readOnly,
                    allocation=int(source.get("allocation", 0)),
                )

            task = self._task(
                caller,
                "Clone block device %@ from snapshot to VM %@",
                [device_uuid[:8], vm.name],
                vm.uuid,
                work,
                vm_uuids=[vm.uuid],
            )
        return TaskRef(str(task.tag), new_device)

    # --- RemoteClusterConnection and VirDomainReplication ---------------------------------------

    def list_remote_connections(self) -> list[Record]:
        with self.db.transaction():
            return [connection.to_dict() for connection in self.connections.all()]

    def get_remote_connection(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._connection(uuid).to_dict()

    def add_remote_connection(self, cluster_name: str, nodes: int = 1) -> Record:
        """Connect to a (made-up) remote cluster called ``cluster_name`` (the admin API's seeding)."""
        uuid = new_uuid()
        remote = uuidlib.uuid5(uuidlib.UUID(self.cluster_uuid), f"remote-{cluster_name}")
        connection = RemoteConnection(
            uuid=uuid,
            cluster_name=cluster_name,
            remote_cluster_uuid=str(remote),
            remote_node_ips=[f"10.1.0.{10 + peer}" for peer in range(1, nodes + 1)],
            remote_node_uuids=[str(uuidlib.uuid5(remote, f"node-{peer}")) for peer in range(1, nodes + 1)],
        )
        with self.db.transaction():
            self.connections.insert(connection)
        return connection.to_dict()

    def delete_remote_connection(self, caller: Caller, uuid: str) -> TaskRef:
        """Remove a connection; refused (task ERROR) while a replication uses it."""
        with self.db.transaction():
            connection = self._connection(uuid)

            def work() -> None:
                if any(r.connection_uuid == uuid for r in self.replications.all()):
                    raise TaskRefused(
                        "Unable to delete remote cluster connection to '%@': replications use it",
                        connection.cluster_name,
                    )
                self.connections.delete(uuid)

            task = self._task(
                caller, "Delete remote cluster connection to %@", [connection.cluster_name], uuid, work
            )
        return TaskRef(str(task.tag))

    def list_replications(self) -> list[Record]:
        with self.db.transaction():
            return [replication.to_dict() for replication in self.replications.all()]

    def get_replication(self, uuid: str) -> Record:
        with self.db.transaction():
            return self._replication(uuid).to_dict()

    def create_replication(self, caller: Caller, body: ReplicationCreate) -> TaskRef:
        """Replicate a VM over a remote cluster connection; a VM has at most one replication.

        A second one is HyperCore's 400 "Failed to create replication" (the Terraform provider matches that
        text). The target VM's UUID on the remote cluster is made up.
        """
        uuid = new_uuid()
        with self.db.transaction():
            vm = self._vm(body.sourceDomainUUID)
            self._check_connection(body.connectionUUID)
            if self.replications.where(vm_uuid=vm.uuid):
                raise BadRequest(f"Failed to create replication: VM '{vm.name}' is already replicated")
            target = str(uuidlib.uuid5(uuidlib.UUID(body.connectionUUID), vm.uuid))

            def work() -> None:
                self.replications.insert(
                    Replication(uuid, vm.uuid, body.connectionUUID, target, body.label, body.enable)
                )

            task = self._task(
                caller, "Create replication of VM %@", [vm.name], vm.uuid, work, vm_uuids=[vm.uuid]
            )
        return TaskRef(str(task.tag), uuid)

    def update_replication(self, caller: Caller, uuid: str, body: ReplicationUpdate) -> TaskRef:
        """Enable/disable, relabel or move a replication to another connection (HyperCore has no DELETE)."""
        sent = body.model_fields_set
        with self.db.transaction():
            replication = self._replication(uuid)
            vm = self._vm(replication.vm_uuid)
            if "sourceDomainUUID" in sent and body.sourceDomainUUID != replication.vm_uuid:
                raise BadRequest("sourceDomainUUID of a replication cannot be changed")
            if "connectionUUID" in sent:
                self._check_connection(body.connectionUUID)

            def work() -> None:
                if "connectionUUID" in sent:
                    replication.connection_uuid = body.connectionUUID
                if "label" in sent:
                    replication.label = body.label
                if "enable" in sent:
                    replication.enable = body.enable
                self.replications.update(replication)

            task = self._task(
                caller, "Update replication of VM %@", [vm.name], vm.uuid, work, vm_uuids=[vm.uuid]
            )
        return TaskRef(str(task.tag))

    # --- Node, Cluster, TaskTag -----------------------------------------------------------------

    def list_nodes(self) -> list[Record]:
        return [node.to_dict() for node in self.nodes]

    def list_clusters(self) -> list[Record]:
        return [
            {
                "uuid": self.cluster_uuid,
                "clusterName": self.db.meta("cluster_name") or "",
                "icosVersion": ICOS_VERSION,
            }
        ]

    def update_cluster(self, caller: Caller, uuid: str, body: ClusterUpdate) -> TaskRef:
        if uuid != self.cluster_uuid:
            raise NotFound.of("Cluster", uuid)
        with self.db.transaction():
            task = self._task(
                caller,
                "Rename cluster to %@",
                [body.clusterName],
                uuid,
                lambda: self.db.set_meta("cluster_name", body.clusterName),
            )
        return TaskRef(str(task.tag))

    def get_task(self, tag: str) -> list[Record]:
        """The task's status as a one-element list; ``[]`` for a tag the cluster does not know."""
        if not tag.isdigit():
            return []
        rows = self.db.rows("tasks", "WHERE tag = ?", (int(tag),))
        return [Task(**row).to_dict(now()) for row in rows]

    # --- seeding and reset ----------------------------------------------------------------------

    def seed(self) -> None:
        """Add the seed's template VMs and VLANs that are missing (so a restart adds no duplicates)."""
        with self.db.transaction():
            for keyword, name in self.seed_data.templates.items():
                if self.vms.where(name=name):
                    continue
                vm = Vm(
                    uuid=new_uuid(),
                    name=name,
                    # No description: a clone inherits it, and the provider never clears one it did not set.
                    description="",
                    machine_type_keyword=keyword,
                    machine_type=MACHINE_TYPES[keyword],
                    node_uuid=self.nodes[0].uuid,
                    created=int(now()),
                )
                self.vms.insert(vm)
                # As a client creates a UEFI/vTPM VM: it sends the firmware devices (HyperCore adds none).
                for kind in FIRMWARE_DEVICES[keyword]:
                    self._add_block_device(vm, kind, SEED_FIRMWARE_CAPACITY[kind])
            for vlan, name in self.seed_data.vlans.items():
                self.db.add_vlan(vlan, name)

    def vlans(self) -> list[Record]:
        return [{"vlan": vlan, "name": name} for vlan, name in self.db.vlans()]

    def reset(self) -> None:
        """Wipe VMs, devices, images and the action log, drop the faults, then seed again.

        Sessions, the cluster's identity and task numbering survive, so logged-in clients keep working.
        """
        with self.db.transaction():
            self.db.wipe()
            self.faults.clear()
            self.seed()
        for folder in ("virtual-disks", "isos"):
            shutil.rmtree(self.data_dir / folder, ignore_errors=True)

    # --- tasks ----------------------------------------------------------------------------------

    def _task(
        self,
        caller: Caller,
        description: str,
        parameters: list[str],
        object_uuid: str,
        work: Callable[[], object],
        *,
        vm_uuids: Iterable[str] = (),
    ) -> Task:
        """Run ``work`` as one task (inside the caller's transaction) and record it.

        An injected ``task_error`` fault skips the work; a :class:`TaskRefused` from it undoes what it wrote.
        Either way the task ends in ERROR with the message, and the cluster is as before. Other errors
        (400, 404, and the busy VM's 500) propagate and no task is recorded.
        """
        vm_uuids = list(vm_uuids)
        with self.db.transaction():
            self._check_not_busy(*vm_uuids)
            tag = self.db.next_sequence("tasks")
            outcome, message, message_parameters = "COMPLETE", "", []
            fault = self.faults.take_task_error(caller.method, caller.path)
            if fault is not None:
                outcome, message = "ERROR", fault.message
            else:
                try:
                    with self.db.savepoint():
                        work()
                except TaskRefused as refused:
                    outcome, message, message_parameters = "ERROR", refused.message, refused.parameters
            task = Task(
                tag=tag,
                outcome=outcome,
                description=description,
                description_parameters=parameters,
                object_uuid=object_uuid,
                created=now(),
                seconds=self.timing.task_seconds,
                session_id=caller.session_id,
                message=message,
                message_parameters=message_parameters,
                node_uuids=[self.nodes[0].uuid],
            )
            self.db.append("tasks", dataclasses.asdict(task))
            for vm_uuid in vm_uuids:
                vm = self.vms.get(vm_uuid)
                if vm is not None:
                    vm.latest_task_tag = str(tag)
                    self.vms.update(vm)
        return task

    def _check_not_busy(self, *vm_uuids: str) -> None:
        """HyperCore's HTTP 500 for a second task on a VM while its last task is still QUEUED or RUNNING.

        Real clusters answer ``{"error": "An internal error occurred"}`` to a mutating call that arrives while a
        task on the same VM is in flight (the RestAPIExamples field notes, rule 1; the Terraform provider's
        "HC3 is receiving too many requests at the same time" warning and its -parallelism=1 advice).
        """
        if not self.timing.busy_vms:
            return
        at = now()
        for uuid in vm_uuids:
            vm = self.vms.get(uuid)
            if vm is None or not vm.latest_task_tag:
                continue
            rows = self.db.rows("tasks", "WHERE tag = ?", (int(vm.latest_task_tag),))
            if rows and Task(**rows[0]).state_at(at) in PENDING_TASK_STATES:
                raise InternalError()

    # --- lookups --------------------------------------------------------------------------------

    def _vm(self, uuid: str) -> Vm:
        vm = self.vms.get(uuid)
        if vm is None:
            raise NotFound.of("VirDomain", uuid)
        return self._settled([vm])[0]

    def _settled(self, vms: list[Vm]) -> list[Vm]:
        at = now()
        for vm in vms:
            if vm.settle(at):
                self.vms.update(vm)
        return vms

    def _block_device(self, uuid: str) -> BlockDevice:
        device = self.block_devices.get(uuid)
        if device is None:
            raise NotFound.of("VirDomainBlockDevice", uuid)
        return device

    def _net_device(self, uuid: str) -> NetDevice:
        nic = self.net_devices.get(uuid)
        if nic is None:
            raise NotFound.of("VirDomainNetDevice", uuid)
        return nic

    def _virtual_disk(self, uuid: str) -> VirtualDisk:
        disk = self.virtual_disks.get(uuid)
        if disk is None:
            raise NotFound.of("VirtualDisk", uuid)
        return disk

    def _iso(self, uuid: str) -> Iso:
        iso = self.isos.get(uuid)
        if iso is None:
            raise NotFound.of("ISO", uuid)
        return iso

    def _schedule(self, uuid: str) -> SnapshotSchedule:
        schedule = self.schedules.get(uuid)
        if schedule is None:
            raise NotFound.of("VirDomainSnapshotSchedule", uuid)
        return schedule

    def _snapshot(self, uuid: str) -> Snapshot:
        snapshot = self.snapshots.get(uuid)
        if snapshot is None:
            raise NotFound.of("VirDomainSnapshot", uuid)
        return snapshot

    def _connection(self, uuid: str) -> RemoteConnection:
        connection = self.connections.get(uuid)
        if connection is None:
            raise NotFound.of("RemoteClusterConnection", uuid)
        return connection

    def _replication(self, uuid: str) -> Replication:
        replication = self.replications.get(uuid)
        if replication is None:
            raise NotFound.of("VirDomainReplication", uuid)
        return replication

    # --- records --------------------------------------------------------------------------------

    def _vm_records(self, vms: list[Vm]) -> list[Record]:
        wanted = {vm.uuid for vm in vms}
        disks: dict[str, list[Record]] = {uuid: [] for uuid in wanted}
        nics: dict[str, list[Record]] = {uuid: [] for uuid in wanted}
        states = {vm.uuid: vm.state for vm in vms}
        for device in self.block_devices.all():
            if device.vm_uuid in wanted:
                disks[device.vm_uuid].append(device.to_dict())
        for nic in self.net_devices.all():
            if nic.vm_uuid in wanted:
                nics[nic.vm_uuid].append(self._nic_record(nic, states[nic.vm_uuid]))
        snapshots: dict[str, list[str]] = {uuid: [] for uuid in wanted}
        for snapshot in self.snapshots.all():
            if snapshot.vm_uuid in wanted:
                snapshots[snapshot.vm_uuid].append(snapshot.uuid)
        replications: dict[str, list[str]] = {uuid: [] for uuid in wanted}
        for replication in self.replications.all():
            if replication.vm_uuid in wanted:
                replications[replication.vm_uuid].append(replication.uuid)
        tags = [int(vm.latest_task_tag) for vm in vms if vm.latest_task_tag]
        tasks: dict[str, Record] = {}
        if tags:
            marks = ",".join("?" * len(tags))
            at = now()
            for row in self.db.rows("tasks", f"WHERE tag IN ({marks})", tuple(tags)):
                tasks[str(row["tag"])] = Task(**row).to_dict(at)
        return [
            vm.to_dict(
                disks[vm.uuid],
                nics[vm.uuid],
                tasks.get(vm.latest_task_tag, EMPTY_TASK),
                guest_agent=self.timing.guest_agent,
                snapshot_uuids=snapshots[vm.uuid],
                replication_uuids=replications[vm.uuid],
            )
            for vm in vms
        ]

    def _nic_record(self, nic: NetDevice, vm_state: str | None) -> Record:
        if vm_state is None:
            vm = self.vms.get(nic.vm_uuid)
            vm_state = vm.state if vm is not None else "SHUTOFF"
        addresses = []
        if self.timing.guest_agent and vm_state == "RUNNING" and nic.connected:
            host = int(nic.mac_address[-2:], 16) % 250 + 2
            addresses.append(f"10.{nic.vlan // 256}.{nic.vlan % 256}.{host}")
        return nic.to_dict(addresses)

    def _iso_record(self, iso: Iso) -> Record:
        return iso.to_dict(self._iso_mounts(iso))

    def _iso_mounts(self, iso: Iso) -> list[dict[str, str]]:
        mounts = []
        for device in self.block_devices.where(type="IDE_CDROM"):
            if device.path == iso.path:
                vm = self.vms.get(device.vm_uuid)
                mounts.append({"vmUUID": device.vm_uuid, "vmName": vm.name if vm else ""})
        return mounts

    # --- devices --------------------------------------------------------------------------------

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

    def _attach_guest_tools(self, vm: Vm) -> None:
        """HyperCore's guest tools ISO in a new CD-ROM, for a Windows VM created with ``attachGuestToolsISO``
        (a VM of another operating system gets none: the Ansible collection's git_issue_50 test)."""
        if vm.operating_system.startswith("os_windows"):
            self._add_system_cdrom(vm, GUEST_TOOLS_ISO, GUEST_TOOLS_ISO_SIZE)

    def _attach_cloud_init(self, vm: Vm) -> None:
        """HyperCore's cloud-init drive for a VM with cloud-init data: an IDE CD-ROM holding
        ``cloud-init-<id>.iso`` (made from the data) in the next free IDE slot."""
        if not (vm.user_data or vm.meta_data):
            return
        name = f"cloud-init-{vm.uuid[:8]}.iso"
        for device in self.block_devices.where(vm_uuid=vm.uuid, type="IDE_CDROM"):
            if device.name.startswith("cloud-init-"):  # a clone's copy of its source's drive: new data
                device.name, device.path = name, f"{SYSTEM_ISO_DIR}/{name}"
                self.block_devices.update(device)
                return
        self._add_system_cdrom(vm, name, CLOUD_INIT_ISO_SIZE)

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

    def _add_net_device(
        self, vm_uuid: str, kind: str, vlan: int, mac: str, connected: bool, *, uuid: str | None = None
    ) -> NetDevice:
        nic = NetDevice(
            uuid or new_uuid(), vm_uuid, kind, mac or self._new_mac(), vlan, connected, int(now())
        )
        self.net_devices.insert(nic)
        return nic

    def _new_mac(self) -> str:
        """A MAC in Scale Computing's range that no NIC on the cluster has."""
        while True:
            suffix = ":".join(f"{byte:02X}" for byte in secrets.token_bytes(3))
            mac = f"{MAC_PREFIX}:{suffix}"
            if not self.net_devices.count(mac_address=mac):
                return mac

    def _forget_boot_device(self, vm: Vm, device_uuid: str) -> None:
        if device_uuid in vm.boot_devices:
            vm.boot_devices = [uuid for uuid in vm.boot_devices if uuid != device_uuid]
            self.vms.update(vm)

    # --- checks (HTTP 400) ----------------------------------------------------------------------

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

    def _check_boot_devices(self, vm: Vm, devices: list[str]) -> None:
        own = {device.uuid for device in self.block_devices.where(vm_uuid=vm.uuid)}
        own |= {nic.uuid for nic in self.net_devices.where(vm_uuid=vm.uuid)}
        strangers = [uuid for uuid in devices if uuid not in own]
        if strangers:
            raise BadRequest(f"bootDevices are not devices of VM '{vm.name}': {', '.join(strangers)}")
        if len(set(devices)) != len(devices):
            raise BadRequest("bootDevices lists a device more than once")

    def _check_nodes(self, *uuids: str) -> None:
        known = {node.uuid for node in self.nodes}
        for uuid in uuids:
            if uuid and uuid not in known:
                raise BadRequest(f"Node '{uuid}' does not exist")

    def _check_schedule(self, uuid: str) -> None:
        """``snapshotScheduleUUID`` must name a schedule of this cluster (``""``: none)."""
        if uuid and self.schedules.get(uuid) is None:
            raise BadRequest(f"snapshotScheduleUUID '{uuid}' is not a snapshot schedule of this cluster")

    def _check_connection(self, uuid: str) -> None:
        if not uuid or self.connections.get(uuid) is None:
            raise BadRequest(f"connectionUUID '{uuid}' is not a remote cluster connection of this cluster")

    def _check_iso_name(self, name: str) -> None:
        if self.isos.where(name=name):
            raise BadRequest(f"An ISO named '{name}' already exists")


def _machine_type(machine_type: str, keyword: str | None) -> tuple[str, str]:
    """(machineTypeKeyword, machineType) from what a create or PATCH sends; BIOS if neither."""
    if keyword:
        wanted = MACHINE_TYPES[keyword]
        if machine_type and machine_type != wanted:
            raise BadRequest(f"machineType '{machine_type}' contradicts machineTypeKeyword '{keyword}'")
        return keyword, wanted
    if machine_type:
        if machine_type not in KEYWORD_OF_MACHINE_TYPE:
            raise BadRequest(f"Unknown machineType '{machine_type}'")
        return KEYWORD_OF_MACHINE_TYPE[machine_type], machine_type
    return "bios", MACHINE_TYPES["bios"]


def _device_of_record(record: Record) -> BlockDevice:
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


def _rules(rules: Iterable[Any]) -> list[Record]:
    """Snapshot schedule rules as stored and answered, each with a new UUID."""
    return [{"uuid": new_uuid(), **rule.model_dump()} for rule in rules]


def _virtual_size(path: Path) -> int:
    """The disk size an image stands for: a qcow2 header's virtual size, else the file's size."""
    with path.open("rb") as image:
        header = image.read(32)
    if len(header) >= 32 and header[:4] == QCOW2_MAGIC:
        return int(struct.unpack(">Q", header[24:32])[0])
    return path.stat().st_size


def _fill(template: str, parameters: list[str]) -> str:
    values = iter(parameters)
    return re.sub(r"%@", lambda _: str(next(values, "%@")), template)
