"""The simulated cluster's entities and how each is written on the wire.

Plain dataclasses, stored as JSON rows by :mod:`fleetform.simulator.db`; ``to_dict`` gives the HyperCore REST
record with HyperCore's field names, units and JSON types (strings are ``""`` rather than ``null``, sizes are
integer bytes, tags one comma string), because the real Terraform provider reads records with strict type
assertions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

MIB = 1024 * 1024
GIB = 1024 * MIB
ICOS_VERSION = "9.4.30.217736"

# --- vocabulary -----------------------------------------------------------------------------------

MACHINE_TYPES = {
    "bios": "scale-bios-9.3",
    "uefi": "scale-uefi-9.3",
    "tpm": "scale-uefi-tpm-9.3",
    "tpm-compatible": "scale-uefi-tpm-compatible-9.3",
}
"""``options.machineTypeKeyword`` -> the ``machineType`` a 9.3+ cluster gives the VM."""

KEYWORD_OF_MACHINE_TYPE = {
    **{machine_type: keyword for keyword, machine_type in MACHINE_TYPES.items()},
    # Older machine types still found on clusters that were upgraded (the Ansible collection's list).
    "scale-5.4": "bios",
    "scale-6.4": "bios",
    "scale-7.2": "bios",
    "scale-bios-lsi-9.2": "bios",
    "scale-8.10": "uefi",
    "scale-uefi-tpm-9.2": "tpm",
}
FIRMWARE_DEVICES = {
    "bios": (),
    "uefi": ("NVRAM",),
    "tpm": ("NVRAM", "VTPM"),
    "tpm-compatible": ("NVRAM", "VTPM"),
}
"""The block devices a VM of each machine type carries for its firmware state."""

DiskType = Literal["IDE_DISK", "SCSI_DISK", "VIRTIO_DISK", "IDE_CDROM", "IDE_FLOPPY", "NVRAM", "VTPM"]
CacheMode = Literal["NONE", "WRITEBACK", "WRITETHROUGH"]
NicType = Literal["VIRTIO", "INTEL_E1000", "RTL8139", "PCNET"]
MachineTypeKeyword = Literal["bios", "uefi", "tpm", "tpm-compatible"]
DISK_TYPES: tuple[str, ...] = get_args(DiskType)
FIRMWARE_TYPES = ("NVRAM", "VTPM")
HOT_UNPLUG_REFUSED = ("VIRTIO_DISK", "SCSI_DISK", "IDE_DISK")
NVRAM_CAPACITY = 540672
"""HyperCore gives every NVRAM device this size, whatever the client sends (the Ansible collection's tests)."""
SEED_FIRMWARE_CAPACITY = {"NVRAM": NVRAM_CAPACITY, "VTPM": 65536}
"""What the seeded template VMs are created with (a VTPM keeps the size its client sends; this one is a guess)."""
GUEST_TOOLS_ISO = f"scale-guest-tools-{'.'.join(ICOS_VERSION.split('.')[:3])}.iso"
GUEST_TOOLS_ISO_SIZE = 94371840
CLOUD_INIT_ISO_SIZE = 374784
"""Made-up sizes of the ISOs HyperCore attaches itself (guest tools, cloud-init data)."""
SYSTEM_ISO_DIR = "scribe/system"
NO_SLOT = -1
"""The slot of NVRAM and VTPM devices: they sit on no bus, so they never take a disk's slot."""

CACHE_MODES: tuple[str, ...] = get_args(CacheMode)
TIERING_FACTORS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 10240)
NIC_TYPES: tuple[str, ...] = get_args(NicType)
ACTION_TYPES = ("START", "SHUTDOWN", "STOP", "REBOOT", "RESET", "PAUSE", "LIVEMIGRATE", "NMI")
MAC_PREFIX = "7C:4C:58"


def now() -> float:
    """The clock every timestamp comes from (seconds since the epoch)."""
    return time.time()


# --- VMs and their devices ------------------------------------------------------------------------


@dataclass
class BlockDevice:
    """A VM's disk, CD-ROM or firmware store (``VirDomainBlockDevice``); sizes in bytes."""

    uuid: str
    vm_uuid: str
    type: str
    slot: int
    capacity: int = 0
    allocation: int = 0
    cache_mode: str = "WRITETHROUGH"
    name: str = ""
    path: str = ""
    disable_snapshotting: bool = False
    tiering_priority_factor: int = 8
    mount_points: list[str] = field(default_factory=list)
    read_only: bool = False
    created: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "virDomainUUID": self.vm_uuid,
            "type": self.type,
            "cacheMode": self.cache_mode,
            "capacity": self.capacity,
            "allocation": self.allocation,
            "physical": self.allocation,
            "shareUUID": "",
            "slot": self.slot,
            "name": self.name,
            "path": self.path,
            "disableSnapshotting": self.disable_snapshotting,
            "tieringPriorityFactor": self.tiering_priority_factor,
            "mountPoints": list(self.mount_points),
            "readOnly": self.read_only,
            "createdTimestamp": self.created,
        }


@dataclass
class NetDevice:
    """A VM's NIC (``VirDomainNetDevice``); ``vlan`` 0 is untagged."""

    uuid: str
    vm_uuid: str
    type: str
    mac_address: str
    vlan: int = 0
    connected: bool = True
    created: int = 0

    def to_dict(self, ipv4_addresses: list[str]) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "virDomainUUID": self.vm_uuid,
            "type": self.type,
            "macAddress": self.mac_address,
            "vlan": self.vlan,
            "connected": self.connected,
            "ipv4Addresses": ipv4_addresses,
        }


@dataclass
class Vm:
    """A virtual machine (``VirDomain``); ``mem`` in bytes, cloud-init stored base64 as sent."""

    uuid: str
    name: str
    description: str = ""
    tags: str = ""
    mem: int = GIB
    num_vcpu: int = 1
    state: str = "SHUTOFF"
    desired_disposition: str = "SHUTOFF"
    machine_type_keyword: str = "bios"
    machine_type: str = MACHINE_TYPES["bios"]
    operating_system: str = "os_other"
    boot_devices: list[str] = field(default_factory=list)
    node_uuid: str = ""
    strict_affinity: bool = False
    preferred_node_uuid: str = ""
    backup_node_uuid: str = ""
    snapshot_schedule_uuid: str = ""
    user_data: str = ""
    meta_data: str = ""
    attach_guest_tools_iso: bool = False
    created: int = 0
    latest_task_tag: str = ""
    snapshot_serial_number: int = 0
    """How many snapshots of this VM were taken (HyperCore's ``snapshotSerialNumber``)."""
    shutoff_at: float | None = None
    """When a pending ACPI shutdown takes effect (the guest's delay); ``None``: none pending."""

    def settle(self, at: float) -> bool:
        """Apply a pending ACPI shutdown whose time has come; whether anything changed."""
        if self.shutoff_at is None or at < self.shutoff_at:
            return False
        if self.state == "RUNNING":
            self.state = "SHUTOFF"
        self.shutoff_at = None
        return True

    def to_dict(
        self,
        block_devs: list[dict[str, Any]],
        net_devs: list[dict[str, Any]],
        latest_task: dict[str, Any],
        *,
        guest_agent: bool,
        snapshot_uuids: list[str] | None = None,
        replication_uuids: list[str] | None = None,
    ) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "nodeUUID": self.node_uuid,
            "lastSeenRunningOnNodeUUID": self.node_uuid if self.state != "SHUTOFF" else "",
            "name": self.name,
            "description": self.description,
            "operatingSystem": self.operating_system,
            "state": self.state,
            "desiredDisposition": self.desired_disposition,
            "console": {"type": "VNC", "ip": "", "port": -1, "password": ""},
            "mem": self.mem,
            "numVCPU": self.num_vcpu,
            "blockDevs": block_devs,
            "netDevs": net_devs,
            "bootDevices": list(self.boot_devices),
            "uiState": "RUNNING" if self.state == "RUNNING" else "SHUTOFF",
            "snapUUIDs": list(snapshot_uuids or []),
            "snapshotSerialNumber": self.snapshot_serial_number,
            "replicationUUIDs": list(replication_uuids or []),
            "sourceVirDomainUUID": "",
            "snapshotListSerialNumber": 0,
            "snapshotScheduleUUID": self.snapshot_schedule_uuid,
            "tags": self.tags,
            "machineType": self.machine_type,
            "machineTypeKeyword": self.machine_type_keyword,
            "cpuType": "clusterBaseline-9.4",
            "isTransient": False,
            "affinityStrategy": {
                "strictAffinity": self.strict_affinity,
                "preferredNodeUUID": self.preferred_node_uuid,
                "backupNodeUUID": self.backup_node_uuid,
            },
            "cloudInitData": {"userData": self.user_data, "metaData": self.meta_data},
            "attachGuestToolsISO": self.attach_guest_tools_iso,
            "guestAgentState": "AVAILABLE" if guest_agent and self.state == "RUNNING" else "UNAVAILABLE",
            "latestTaskTag": latest_task,
            "created": self.created,
        }


# --- images ---------------------------------------------------------------------------------------


@dataclass
class VirtualDisk:
    """An uploaded disk image (``VirtualDisk``); ``capacity_bytes`` is its virtual size."""

    uuid: str
    name: str
    file: str
    """The image's file, relative to the data directory."""
    capacity_bytes: int
    total_allocation_bytes: int
    block_size: int = 512
    replication_factor: int = 2
    created: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "name": self.name,
            "blockSize": self.block_size,
            "capacityBytes": self.capacity_bytes,
            "totalAllocationBytes": self.total_allocation_bytes,
            "replicationFactor": self.replication_factor,
            "created": self.created,
        }


@dataclass
class Iso:
    """An ISO image; CD-ROM block devices refer to it by ``path``."""

    uuid: str
    name: str
    size: int
    path: str
    ready_for_insert: bool = False
    file: str = ""
    """Its bytes, relative to the data directory (``""`` until uploaded)."""
    created: int = 0

    def to_dict(self, mounts: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "name": self.name,
            "size": self.size,
            "readyForInsert": self.ready_for_insert,
            "path": self.path,
            "mounts": mounts,
        }


# --- snapshots, schedules, replication -------------------------------------------------------------


@dataclass
class SnapshotSchedule:
    """A ``VirDomainSnapshotSchedule``: named recurrence rules that VMs refer to by ``snapshotScheduleUUID``.

    ``rrules`` are stored as their wire records (``uuid``, ``name``, ``dtstart``, ``rrule``,
    ``localRetentionDurationSeconds``, ``remoteRetentionDurationSeconds``, ``replication``).
    """

    uuid: str
    name: str
    rrules: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "name": self.name, "rrules": [dict(rule) for rule in self.rrules]}


@dataclass
class Snapshot:
    """A ``VirDomainSnapshot``: a VM as it was (``domain``, its record then) and its disks' contents."""

    uuid: str
    vm_uuid: str
    label: str
    domain: dict[str, Any]
    device_snapshots: list[dict[str, Any]]
    timestamp: int
    type: str = "USER"
    replication: bool = True
    automated_trigger_timestamp: int = 0
    local_retain_until_timestamp: float = 0
    remote_retain_until_timestamp: float = 0
    block_count_diff_from_serial_number: int = -1

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "domainUUID": self.vm_uuid,
            "domain": self.domain,
            "deviceSnapshots": [dict(device) for device in self.device_snapshots],
            "timestamp": self.timestamp,
            "label": self.label,
            "type": self.type,
            "automatedTriggerTimestamp": self.automated_trigger_timestamp,
            "localRetainUntilTimestamp": _number(self.local_retain_until_timestamp),
            "remoteRetainUntilTimestamp": _number(self.remote_retain_until_timestamp),
            "blockCountDiffFromSerialNumber": self.block_count_diff_from_serial_number,
            "replication": self.replication,
        }


@dataclass
class RemoteConnection:
    """A ``RemoteClusterConnection`` to another cluster (seeded through the admin API; read-only on REST)."""

    uuid: str
    cluster_name: str
    remote_cluster_uuid: str
    remote_node_ips: list[str]
    remote_node_uuids: list[str]
    connection_status: str = "ESTABLISHED"
    replication_ok: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "remoteClusterInfo": {
                "uuid": self.remote_cluster_uuid,
                "clusterName": self.cluster_name,
                "icosVersion": ICOS_VERSION,
            },
            "connectionStatus": self.connection_status,
            "replicationOK": self.replication_ok,
            "remoteNodeIPs": list(self.remote_node_ips),
            "remoteNodeUUIDs": list(self.remote_node_uuids),
        }


@dataclass
class Replication:
    """A ``VirDomainReplication``: a VM replicated over a remote cluster connection."""

    uuid: str
    vm_uuid: str
    connection_uuid: str
    target_vm_uuid: str
    label: str = ""
    enable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "sourceDomainUUID": self.vm_uuid,
            "targetDomainUUID": self.target_vm_uuid,
            "connectionUUID": self.connection_uuid,
            "label": self.label,
            "enable": self.enable,
        }


def _number(value: float) -> float | int:
    """A timestamp as JSON: whole numbers as integers."""
    return int(value) if float(value).is_integer() else value


# --- tasks, sessions, logs ------------------------------------------------------------------------


DEFAULT_TASK_SECONDS = 0.05
"""How long a task stays QUEUED/RUNNING unless configured: long enough that a second request on the same VM
while a client does not wait for the first hits the busy VM's 500, short enough to keep tests fast."""
PENDING_TASK_STATES = ("QUEUED", "RUNNING")
QUEUED_SHARE = 0.25
"""The first quarter of a task's duration it is QUEUED, the rest RUNNING."""


@dataclass
class Task:
    """An asynchronous task (``TaskTag``); its state is derived from the time since it was created."""

    tag: int
    outcome: str
    """The state it ends in: COMPLETE or ERROR."""
    description: str
    description_parameters: list[str]
    object_uuid: str
    created: float
    seconds: float
    session_id: str = ""
    message: str = ""
    message_parameters: list[str] = field(default_factory=list)
    node_uuids: list[str] = field(default_factory=list)

    def state_at(self, at: float) -> str:
        elapsed = at - self.created
        if elapsed >= self.seconds:
            return self.outcome
        return "QUEUED" if elapsed < self.seconds * QUEUED_SHARE else "RUNNING"

    def to_dict(self, at: float) -> dict[str, Any]:
        state = self.state_at(at)
        finished = state not in ("QUEUED", "RUNNING")
        if state == "COMPLETE":
            progress = 100
        elif state == "RUNNING":
            progress = min(99, int(100 * (at - self.created) / self.seconds))
        else:
            progress = 0
        done_at = int(self.created + self.seconds)
        return {
            "taskTag": str(self.tag),
            "progressPercent": progress,
            "state": state,
            "formattedDescription": self.description,
            "descriptionParameters": list(self.description_parameters),
            "formattedMessage": self.message if finished else "",
            "messageParameters": list(self.message_parameters) if finished else [],
            "objectUUID": self.object_uuid,
            "created": int(self.created),
            "modified": done_at if finished else int(at),
            "completed": done_at if finished else 0,
            "sessionID": self.session_id,
            "nodeUUIDs": list(self.node_uuids),
        }


EMPTY_TASK = {
    "taskTag": "",
    "progressPercent": 0,
    "state": "",
    "formattedDescription": "",
    "descriptionParameters": [],
    "formattedMessage": "",
    "messageParameters": [],
    "objectUUID": "",
    "created": 0,
    "modified": 0,
    "completed": 0,
    "sessionID": "",
    "nodeUUIDs": [],
}
"""``latestTaskTag`` of a VM no task has touched yet."""


@dataclass(frozen=True)
class TaskRef:
    """What a mutating request answers: the task to wait for and the UUID it creates (or ``""``)."""

    task_tag: str
    created_uuid: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"taskTag": self.task_tag, "createdUUID": self.created_uuid}


@dataclass
class Session:
    """A login session (the ``sessionID`` cookie)."""

    uuid: str
    username: str
    created: float


@dataclass
class ActionRecord:
    """One power action on one VM, for the admin action log."""

    seq: int
    time: float
    vm_uuid: str
    vm_name: str
    action_type: str
    state: str
    """The VM's state right after the request (a delayed ACPI shutdown still shows RUNNING)."""
    desired_disposition: str
    task_tag: str
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "virDomainUUID": self.vm_uuid,
            "name": self.vm_name,
            "actionType": self.action_type,
            "state": self.state,
            "desiredDisposition": self.desired_disposition,
            "taskTag": self.task_tag,
            "error": self.error,
        }


@dataclass(frozen=True)
class Node:
    """A cluster node; derived from the cluster UUID and peer ID, so it needs no storage."""

    uuid: str
    peer_id: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "peerID": self.peer_id,
            "lanIP": f"10.0.0.{10 + self.peer_id}",
            "backplaneIP": f"10.100.0.{10 + self.peer_id}",
            "lanMAC": f"{MAC_PREFIX}:00:00:{self.peer_id:02X}",
            "capacity": 8 * 1000**4,
            "memSize": 256 * GIB,
            "numCPUs": 2,
            "numCores": 32,
            "numThreads": 64,
            "networkStatus": "ONLINE",
            "virtualizationOnline": True,
            "allowRunningVMs": True,
        }
