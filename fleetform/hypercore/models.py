"""Typed read models of HyperCore REST API records.

Field names are snake_case; the camelCase wire names are aliases. Unknown fields are ignored and missing
or ``null`` fields fall back to the value HyperCore uses for "none" (``""``, ``0``, ``[]``), so records
from other HyperCore versions still parse.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MIB = 1024 * 1024


def _text(value: Any) -> Any:
    return "" if value is None else value


def _whole(value: Any) -> Any:
    # Byte counts are integers on HyperCore, but clients send floats (the Terraform provider computes disk
    # capacities as GB * 1e9 in float64); round instead of rejecting them.
    if value is None:
        return 0
    if isinstance(value, float):
        return round(value)
    return value


def _items(value: Any) -> Any:
    return [] if value is None else value


def _tags(value: Any) -> Any:
    # HyperCore stores tags as one comma-separated string; "" means no tags.
    if value is None:
        return []
    if isinstance(value, str):
        return [tag for tag in value.split(",") if tag]
    return value


Text = Annotated[str, BeforeValidator(_text)]
Whole = Annotated[int, BeforeValidator(_whole)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class BlockDevice(_Record):
    """A VM's disk or CD-ROM (``VirDomainBlockDevice``); ``capacity`` in bytes."""

    uuid: str
    vm_uuid: Text = Field("", alias="virDomainUUID")
    type: Text = ""
    slot: Whole = 0
    capacity: Whole = 0
    tiering_priority_factor: Whole = Field(8, alias="tieringPriorityFactor")
    path: Text = ""
    name: Text = ""


class NetDevice(_Record):
    """A VM's NIC (``VirDomainNetDevice``)."""

    uuid: str
    vm_uuid: Text = Field("", alias="virDomainUUID")
    type: Text = ""
    vlan: Whole = 0
    mac_address: Text = Field("", alias="macAddress")
    connected: bool = True
    ipv4_addresses: Annotated[list[str], BeforeValidator(_items)] = Field(
        default_factory=list, alias="ipv4Addresses"
    )


class AffinityStrategy(_Record):
    """Node affinity of a VM; empty node UUIDs mean "any node"."""

    strict_affinity: bool = Field(False, alias="strictAffinity")
    preferred_node_uuid: Text = Field("", alias="preferredNodeUUID")
    backup_node_uuid: Text = Field("", alias="backupNodeUUID")


class VirDomain(_Record):
    """A virtual machine (``VirDomain``); ``mem`` in bytes, ``tags`` split from HyperCore's comma string."""

    uuid: str
    name: Text = ""
    description: Text = ""
    tags: Annotated[list[str], BeforeValidator(_tags)] = Field(default_factory=list)
    mem: Whole = 0
    num_vcpu: Whole = Field(0, alias="numVCPU")
    state: Text = ""
    desired_disposition: Text = Field("", alias="desiredDisposition")
    machine_type: Text = Field("", alias="machineType")
    machine_type_keyword: Text = Field("", alias="machineTypeKeyword")
    block_devs: Annotated[list[BlockDevice], BeforeValidator(_items)] = Field(
        default_factory=list, alias="blockDevs"
    )
    net_devs: Annotated[list[NetDevice], BeforeValidator(_items)] = Field(
        default_factory=list, alias="netDevs"
    )
    boot_devices: Annotated[list[str], BeforeValidator(_items)] = Field(
        default_factory=list, alias="bootDevices"
    )
    affinity_strategy: AffinityStrategy = Field(default_factory=AffinityStrategy, alias="affinityStrategy")
    snapshot_schedule_uuid: Text = Field("", alias="snapshotScheduleUUID")
    node_uuid: Text = Field("", alias="nodeUUID")

    @property
    def memory_mib(self) -> int:
        """Memory in MiB, rounded down (the Terraform provider's ``memory`` unit)."""
        return self.mem // MIB


class VirtualDisk(_Record):
    """An uploaded disk image (``VirtualDisk``); ``capacity_bytes`` is its virtual size."""

    uuid: str
    name: Text = ""
    capacity_bytes: Whole = Field(0, alias="capacityBytes")
    block_size: Whole = Field(0, alias="blockSize")


class Iso(_Record):
    """An uploaded ISO image; ``path`` is what a CD-ROM block device refers to."""

    uuid: str
    name: Text = ""
    size: Whole = 0
    ready_for_insert: bool = Field(False, alias="readyForInsert")
    path: Text = ""


class SnapshotSchedule(_Record):
    """A snapshot schedule (``VirDomainSnapshotSchedule``); its rules are not modelled here."""

    uuid: str
    name: Text = ""


class Node(_Record):
    """A cluster node; ``lan_ip`` serves the REST API."""

    uuid: str
    peer_id: Whole = Field(0, alias="peerID")
    lan_ip: Text = Field("", alias="lanIP")
    backplane_ip: Text = Field("", alias="backplaneIP")


class TaskTag(_Record):
    """The status of an asynchronous task (``GET /rest/v1/TaskTag/{tag}``)."""

    task_tag: Text = Field("", alias="taskTag")
    state: Text = ""
    progress_percent: Whole = Field(0, alias="progressPercent")
    formatted_description: Text = Field("", alias="formattedDescription")
    description_parameters: Annotated[list[Any], BeforeValidator(_items)] = Field(
        default_factory=list, alias="descriptionParameters"
    )
    formatted_message: Text = Field("", alias="formattedMessage")
    message_parameters: Annotated[list[Any], BeforeValidator(_items)] = Field(
        default_factory=list, alias="messageParameters"
    )
    object_uuid: Text = Field("", alias="objectUUID")

    @property
    def message(self) -> str:
        """``formatted_message`` with its ``%@`` placeholders filled from ``message_parameters``."""
        return _fill(self.formatted_message, self.message_parameters)

    @property
    def description(self) -> str:
        """``formatted_description`` with its ``%@`` placeholders filled from ``description_parameters``."""
        return _fill(self.formatted_description, self.description_parameters)


class TaskResponse(_Record):
    """What a mutating call returns: the task to wait for and the UUID of what it creates (or ``""``)."""

    task_tag: Text = Field("", alias="taskTag")
    created_uuid: Text = Field("", alias="createdUUID")
    method: str = Field("", exclude=True)
    """The call that started the task (set by the client, not part of the answer)."""
    path: str = Field("", exclude=True)


def _fill(template: str, parameters: list[Any]) -> str:
    values = iter(parameters)
    return re.sub(r"%@", lambda _: str(next(values, "%@")), template)
