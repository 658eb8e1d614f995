"""Request bodies of the simulated REST API, as pydantic models with HyperCore's camelCase field names.

Bodies are validated strictly, as HyperCore does: an unknown field is refused with "Property not allowed",
and a value of the wrong JSON type (a string for a number, ``null`` for a string, ``1`` for a boolean) is
refused too, both with HTTP 400. The one leniency is byte counts (``capacity``): the Terraform provider
computes them as float64 (``1e10``, ``1073741824.0000002``), so a JSON float is accepted and rounded.
Rules that depend on the cluster's contents (does the VM exist, may the disk shrink) are the backend's.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from fleetform.simulator.errors import BadRequest
from fleetform.simulator.models import (
    ACTION_TYPES,
    MIB,
    TIERING_FACTORS,
    CacheMode,
    DiskType,
    MachineTypeKeyword,
    NicType,
)

M = TypeVar("M", bound=BaseModel)
MAC_PATTERN = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
MAX_VCPU = 128
DTSTART_FORMAT = "%Y-%m-%d %H:%M:%S"
RRULE_FREQUENCIES = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- field types ----------------------------------------------------------------------------------


def _whole_bytes(value: Any) -> Any:
    if isinstance(value, float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("must be a finite number of bytes")
        return round(value)
    return value


def _memory(value: int) -> int:
    if value <= 0 or value % MIB:
        raise ValueError(f"must be a positive whole number of MiB in bytes (a multiple of {MIB})")
    return value


def _tiering(value: int) -> int:
    if value not in TIERING_FACTORS:
        raise ValueError(f"must be one of {', '.join(str(f) for f in TIERING_FACTORS)}")
    return value


def _mac(value: str) -> str:
    if not MAC_PATTERN.match(value):
        raise ValueError("must look like 7C:4C:58:12:34:56")
    return value.upper()


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64") from None
    return value


def _not_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _iso_name(value: str) -> str:
    if not value.endswith(".iso"):
        raise ValueError("ISO name must end with '.iso'")
    return value


Bytes = Annotated[int, BeforeValidator(_whole_bytes), Field(ge=0)]
Memory = Annotated[int, AfterValidator(_memory)]
VCpus = Annotated[int, Field(ge=1, le=MAX_VCPU)]
Vlan = Annotated[int, Field(ge=0, le=4094)]
Tiering = Annotated[int, AfterValidator(_tiering)]
Mac = Annotated[str, AfterValidator(_mac)]
Base64 = Annotated[str, AfterValidator(_base64)]
Name = Annotated[str, AfterValidator(_not_empty)]


# --- shared parts ---------------------------------------------------------------------------------


class CloudInit(_Body):
    """``cloudInitData``: the user-data and meta-data documents, base64."""

    userData: Base64 = ""
    metaData: Base64 = ""


class Affinity(_Body):
    """``affinityStrategy``; a PATCH may send any subset."""

    strictAffinity: bool = False
    preferredNodeUUID: str = ""
    backupNodeUUID: str = ""


class NewBlockDevice(_Body):
    """A disk inside ``dom.blockDevs`` of a VM create; ``uuid`` is only a label ("primaryDrive")."""

    type: DiskType
    capacity: Bytes = 0
    uuid: str = ""
    cacheMode: CacheMode = "WRITETHROUGH"
    name: str = ""
    path: str = ""
    slot: Annotated[int, Field(ge=-1)] | None = None
    tieringPriorityFactor: Tiering = 8
    disableSnapshotting: bool = False
    readOnly: bool = False
    mountPoints: list[str] = Field(default_factory=list)


class NewNetDevice(_Body):
    """A NIC inside ``dom.netDevs`` of a create or ``template.netDevs`` of a clone."""

    type: NicType = "VIRTIO"
    vlan: Vlan = 0
    macAddress: Mac = ""
    connected: bool = True
    uuid: str = ""


# --- VirDomain ------------------------------------------------------------------------------------


class Dom(_Body):
    """``dom`` of ``POST /VirDomain``; the real provider sends only ``name`` and ``cloudInitData``."""

    name: Name
    description: str = ""
    tags: str = ""
    mem: Memory | None = None
    numVCPU: VCpus | None = None
    blockDevs: list[NewBlockDevice] = Field(default_factory=list)
    netDevs: list[NewNetDevice] = Field(default_factory=list)
    bootDevices: list[str] = Field(default_factory=list)
    machineType: str = ""
    operatingSystem: str = "os_other"
    cloudInitData: CloudInit = Field(default_factory=CloudInit)
    affinityStrategy: Affinity = Field(default_factory=Affinity)
    snapshotScheduleUUID: str = ""
    state: Literal["SHUTOFF", "RUNNING", "START", "STOP", "SHUTDOWN"] = "SHUTOFF"


class CreateOptions(_Body):
    attachGuestToolsISO: bool = False
    machineTypeKeyword: MachineTypeKeyword | None = None


class VirDomainCreate(_Body):
    """``POST /rest/v1/VirDomain``."""

    dom: Dom
    options: CreateOptions = Field(default_factory=CreateOptions)


class CloneTemplate(_Body):
    name: Name
    description: str | None = None
    tags: str | None = None
    mem: Memory | None = None
    numVCPU: VCpus | None = None
    cloudInitData: CloudInit = Field(default_factory=CloudInit)
    netDevs: list[NewNetDevice] | None = None
    affinityStrategy: Affinity | None = None


class VirDomainClone(_Body):
    """``POST /rest/v1/VirDomain/{uuid}/clone``."""

    template: CloneTemplate
    snapUUID: str = ""


class VirDomainUpdate(_Body):
    """``PATCH /rest/v1/VirDomain/{uuid}`` (and the boot-order ``POST``): only the fields sent change."""

    name: Name = ""
    description: str = ""
    tags: str = ""
    mem: Memory = MIB
    numVCPU: VCpus = 1
    bootDevices: list[str] = Field(default_factory=list)
    snapshotScheduleUUID: str = ""
    affinityStrategy: dict[str, Any] = Field(default_factory=dict)
    machineType: str = ""
    operatingSystem: str = ""

    def affinity(self) -> dict[str, Any]:
        """The affinity fields sent, validated (a PATCH may send a subset)."""
        return parse(Affinity, self.affinityStrategy, prefix="affinityStrategy").model_dump(
            include=set(self.affinityStrategy)
        )


class Action(_Body):
    """One element of the ``POST /rest/v1/VirDomain/action`` array."""

    virDomainUUID: str
    actionType: str
    cause: str = "INTERNAL"
    nodeUUID: str = ""


# --- devices --------------------------------------------------------------------------------------


class BlockDeviceCreate(_Body):
    """``POST /rest/v1/VirDomainBlockDevice``; ``description`` is not a block-device field.

    Without ``cacheMode`` a device gets NONE (the Ansible collection's vm_disk tests); an NVRAM or VTPM may be
    sent a slot, which HyperCore ignores (-1).
    """

    virDomainUUID: str
    type: DiskType
    capacity: Bytes = 0
    cacheMode: CacheMode = "NONE"
    name: str = ""
    path: str = ""
    slot: Annotated[int, Field(ge=-1)] | None = None
    tieringPriorityFactor: Tiering = 8
    disableSnapshotting: bool = False
    readOnly: bool = False
    mountPoints: list[str] = Field(default_factory=list)


class BlockDeviceUpdate(_Body):
    """``PATCH /rest/v1/VirDomainBlockDevice/{uuid}``: every field a client may re-send (see the backend)."""

    virDomainUUID: str = ""
    type: DiskType = "VIRTIO_DISK"
    capacity: Bytes = 0
    cacheMode: CacheMode = "WRITETHROUGH"
    name: str = ""
    path: str = ""
    slot: Annotated[int, Field(ge=-1)] | None = None
    tieringPriorityFactor: Tiering = 8
    disableSnapshotting: bool = False
    readOnly: bool = False
    mountPoints: list[str] = Field(default_factory=list)


class NetDeviceCreate(_Body):
    """``POST /rest/v1/VirDomainNetDevice``; without ``macAddress`` the cluster generates one."""

    virDomainUUID: str
    type: NicType = "VIRTIO"
    vlan: Vlan = 0
    macAddress: Mac = ""
    connected: bool = True


class NetDeviceUpdate(_Body):
    """``PATCH /rest/v1/VirDomainNetDevice/{uuid}``."""

    virDomainUUID: str = ""
    type: NicType = "VIRTIO"
    vlan: Vlan = 0
    macAddress: Mac = ""
    connected: bool = True


# --- images ---------------------------------------------------------------------------------------


class AttachOptions(_Body):
    regenerateDiskID: bool = False
    readOnly: bool = False


class AttachTemplate(_Body):
    virDomainUUID: str
    type: DiskType = "VIRTIO_DISK"
    capacity: Bytes = 0
    cacheMode: CacheMode = "WRITETHROUGH"
    slot: Annotated[int, Field(ge=0)] | None = None
    tieringPriorityFactor: Tiering = 8
    disableSnapshotting: bool = False
    readOnly: bool = False


class VirtualDiskAttach(_Body):
    """``POST /rest/v1/VirtualDisk/{uuid}/attach``: copy the image onto a VM as a new block device."""

    template: AttachTemplate
    options: AttachOptions = Field(default_factory=AttachOptions)


class IsoCreate(_Body):
    """``POST /rest/v1/ISO``: announce an ISO; its bytes follow with ``PUT /ISO/{uuid}/data/``."""

    name: Annotated[str, AfterValidator(_iso_name)]
    size: Bytes = 0
    readyForInsert: bool = False


class IsoUpdate(_Body):
    name: Annotated[str, AfterValidator(_iso_name)] = ""
    size: Bytes = 0
    readyForInsert: bool = False


# --- snapshots, schedules, replication -------------------------------------------------------------


def _dtstart(value: str) -> str:
    try:
        datetime.strptime(value, DTSTART_FORMAT)
    except ValueError:
        raise ValueError("must be a local time like 2010-01-01 00:00:00") from None
    return value


def _rrule(value: str) -> str:
    parts = dict(part.partition("=")[::2] for part in value.upper().split(";") if part)
    if parts.get("FREQ") not in RRULE_FREQUENCIES:
        raise ValueError("must be an RFC 2445 recurrence rule such as FREQ=WEEKLY;INTERVAL=1;BYDAY=TU")
    return value


Seconds = Annotated[int, Field(ge=0)]
Timestamp = Annotated[float, Field(ge=0)]


class ScheduleRule(_Body):
    """One element of ``rrules``: when snapshots are taken and how long they are kept."""

    name: str = ""
    dtstart: Annotated[str, AfterValidator(_dtstart)]
    rrule: Annotated[str, AfterValidator(_rrule)]
    localRetentionDurationSeconds: Seconds
    remoteRetentionDurationSeconds: Seconds = 0
    replication: bool = True


class SnapshotScheduleCreate(_Body):
    """``POST /rest/v1/VirDomainSnapshotSchedule``."""

    name: Name
    rrules: list[ScheduleRule] = Field(default_factory=list)


class SnapshotScheduleUpdate(_Body):
    """``PATCH /rest/v1/VirDomainSnapshotSchedule/{uuid}``: ``rrules`` replaces every rule."""

    name: Name = ""
    rrules: list[ScheduleRule] = Field(default_factory=list)


class SnapshotCreate(_Body):
    """``POST /rest/v1/VirDomainSnapshot``; ``uuid`` is refused ("Property not allowed"), as HyperCore does."""

    domainUUID: str
    label: str = ""
    type: Literal["USER", "AUTOMATED", "SUPPORT"] = "USER"
    replication: bool = True
    automatedTriggerTimestamp: Annotated[int, Field(ge=0)] = 0
    localRetainUntilTimestamp: Timestamp = 0
    remoteRetainUntilTimestamp: Timestamp = 0
    blockCountDiffFromSerialNumber: int = -1


class ReplicationCreate(_Body):
    """``POST /rest/v1/VirDomainReplication``."""

    sourceDomainUUID: str
    connectionUUID: str
    label: str = ""
    enable: bool = True


class ReplicationUpdate(_Body):
    """``PATCH /rest/v1/VirDomainReplication/{uuid}``; ``sourceDomainUUID`` may be re-sent but not changed."""

    sourceDomainUUID: str = ""
    connectionUUID: str = ""
    label: str = ""
    enable: bool = True


class BlockDeviceCloneTemplate(_Body):
    virDomainUUID: str
    type: DiskType
    capacity: Bytes = 0
    cacheMode: CacheMode = "WRITETHROUGH"
    slot: Annotated[int, Field(ge=0)] | None = None
    name: str = ""
    tieringPriorityFactor: Tiering = 8
    disableSnapshotting: bool = False
    readOnly: bool = False


class BlockDeviceCloneOptions(_Body):
    regenerateDiskID: bool = True


class BlockDeviceClone(_Body):
    """``POST /rest/v1/VirDomainBlockDevice/{uuid}/clone``: a disk of a VM snapshot, onto a VM."""

    snapUUID: str
    template: BlockDeviceCloneTemplate
    options: BlockDeviceCloneOptions = Field(default_factory=BlockDeviceCloneOptions)


# --- cluster and sessions -------------------------------------------------------------------------


class ClusterUpdate(_Body):
    clusterName: Name


class Login(_Body):
    """``POST /rest/v1/login``; ``useOIDC`` is accepted and ignored (the simulator has local users only)."""

    username: str
    password: str
    useOIDC: bool = False


# --- parsing --------------------------------------------------------------------------------------


def parse(model: type[M], payload: Any, *, prefix: str = "") -> M:
    """``payload`` (decoded JSON) as ``model``, or :class:`BadRequest` saying what is wrong."""
    if not isinstance(payload, dict):
        raise BadRequest(f"{prefix or 'The request body'} must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(describe(exc, prefix)) from None


_ACTIONS = TypeAdapter(list[Action])


def parse_actions(payload: Any) -> list[Action]:
    """The action array; every ``actionType`` must be one HyperCore knows."""
    if not isinstance(payload, list) or not payload:
        raise BadRequest("The request body must be a non-empty JSON array of actions")
    try:
        actions = _ACTIONS.validate_python(payload)
    except ValidationError as exc:
        raise BadRequest(describe(exc)) from None
    for action in actions:
        if action.actionType not in ACTION_TYPES:
            raise BadRequest(
                f"Invalid actionType '{action.actionType}'; expected one of {', '.join(ACTION_TYPES)}"
            )
    return actions


def describe(exc: ValidationError, prefix: str = "") -> str:
    """HyperCore-style messages for every problem pydantic found, joined by "; "."""
    messages = []
    for error in exc.errors():
        where = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "")
        if error["type"] == "extra_forbidden":
            messages.append(f"Property not allowed: {where}")
        elif error["type"] == "missing":
            messages.append(f"Missing required property: {where}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            messages.append(f"Invalid value for {where}: {message}")
    return "; ".join(messages)
