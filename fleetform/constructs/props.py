"""Typed inputs of the fleetform constructs. Every optional field says its default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from fleetform.errors import Location

DiskType = Literal["virtio_disk", "ide_cdrom"]
PowerState = Literal["running", "shutoff"]
ImageFormat = Literal["raw", "qcow2", "iso"]


@dataclass(frozen=True, kw_only=True)
class DiskImageProps:
    """An image uploaded once to the cluster and copied into every disk that uses it."""

    name: str
    """Short name: disks refer to the image by it (``DiskProps.image``). An ``Application`` also uses it as the
    image's construct id, so it is the Terraform address (``hypercore_virtual_disk.<name>``); a ``DiskImage``
    created directly takes its address from its construct id."""
    source_url: str
    """Where the provider fetches the image from: ``https://``, ``http://`` or ``file:///``."""
    format: ImageFormat = "raw"
    """Image format. ``iso`` becomes a ``hypercore_iso``, anything else a ``hypercore_virtual_disk``.
    Default: ``"raw"``. HyperCore detects raw/qcow2 itself; the provider has no format attribute."""
    virtual_size: int | None = None
    """Bytes the image holds once attached, when known (a local file); sizes disks that give no capacity.
    Default: unknown."""
    file_name: str | None = None
    """Name of the uploaded image on the cluster; HyperCore needs an extension it knows (``.img``,
    ``.qcow2``, ``.iso``). Default: ``name`` plus ``.iso``, ``.qcow2`` or ``.img`` by format."""

    @property
    def cluster_name(self) -> str:
        """The name the image gets on the cluster."""
        if self.file_name:
            return self.file_name
        return self.name + {"iso": ".iso", "qcow2": ".qcow2"}.get(self.format, ".img")


@dataclass(frozen=True, kw_only=True)
class SnapshotRuleProps:
    """One rule of a snapshot schedule: from when, how often, and how long snapshots are kept."""

    name: str
    """Rule name, unique within the schedule."""
    start: str
    """When the rule starts, in the cluster's local time, ``YYYY-MM-DD HH:MM:SS``."""
    frequency: str
    """An RFC 2445 recurrence rule in upper case, e.g. ``FREQ=DAILY;INTERVAL=1``."""
    local_retention_seconds: int
    """How long each snapshot is kept on the cluster, in seconds (at least 1)."""
    remote_retention_seconds: int | None = None
    """How long a replicated snapshot is kept on the remote cluster, in seconds. Default: the local retention
    (sent explicitly: the provider's own default is 0, although its documentation says "same as local")."""


@dataclass(frozen=True, kw_only=True)
class SnapshotScheduleProps:
    """A HyperCore snapshot schedule (``hypercore_vm_snapshot_schedule``) that VMs attach to."""

    name: str
    """Short name: VMs refer to the schedule by it (``VirtualMachineProps.snapshot_schedule``). An ``Application``
    also uses it for the Terraform address (``hypercore_vm_snapshot_schedule.<name>``); a ``SnapshotSchedule``
    created directly takes its address from its construct id."""
    rules: Sequence[SnapshotRuleProps]
    """When snapshots are taken; at least one rule."""
    cluster_name: str | None = None
    """The schedule's name on the cluster. Default: ``name``."""

    @property
    def schedule_name(self) -> str:
        """The name the schedule gets on the cluster."""
        return self.cluster_name or self.name


@dataclass(frozen=True, kw_only=True)
class DiskProps:
    """One storage device of a VM."""

    name: str
    """Device name, unique in the VM; part of the Terraform address (``hypercore_disk.<vm>__<name>``)."""
    type: DiskType = "virtio_disk"
    """``virtio_disk`` or ``ide_cdrom``. Default: ``"virtio_disk"``."""
    image: str | None = None
    """Name of a ``DiskImage`` to copy (or, for a CD-ROM, to insert): one of the application's images, or a key
    of the ``images`` mapping given to a ``VirtualMachine`` created directly. Default: none (an empty disk, or
    an empty CD-ROM drive)."""
    capacity_bytes: int | None = None
    """Size in bytes. The provider takes decimal GB; a byte count that does not survive its float arithmetic
    is rounded up to one that does. Default: the image's virtual size (required without an image)."""
    boot: int | None = None
    """Position in the boot order, 1 = first. Default: not a boot device."""
    adopted: bool = False
    """The disk already exists on the cluster (``fleetform import``): ``size`` is ``capacity_bytes`` exactly as
    the provider reads a capacity back (``bytes/1000/1000/1000``, never rounded), no image is copied onto it,
    and its flash priority (a CD-ROM: its size, i.e. whatever ISO is in it) is left as it is. Default:
    ``False``."""
    source: Location | None = None
    """Where this disk was declared, for error messages. Default: unknown."""


@dataclass(frozen=True, kw_only=True)
class NicProps:
    """One network device of a VM."""

    network: str
    """Network name (shown in reviews and diagrams)."""
    vlan: int
    """VLAN id on the cluster, 0..4094 (0 = untagged)."""
    type: Literal["virtio"] = "virtio"
    """NIC model. Default: ``"virtio"``."""
    key: str | None = None
    """Stable id within the VM, part of the Terraform address. Default: the network name."""


@dataclass(frozen=True, kw_only=True)
class CloudInit:
    """cloud-init data the cluster hands to the VM on its first boot (applied at create time only)."""

    user_data: str | None = None
    """The user-data document. Default: none."""
    meta_data: str | None = None
    """The meta-data document. Default: none."""


@dataclass(frozen=True, kw_only=True)
class VirtualMachineProps:
    """A HyperCore VM with its disks, NICs, boot order and power state."""

    name: str
    """VM name, unique on the cluster."""
    cpu: int
    """Number of vCPUs."""
    memory_bytes: int
    """Memory in bytes, a whole MiB (the provider takes MiB)."""
    template: str | None = None
    """UUID of the VM to clone, as a literal string or a reference such as
    ``DataHypercoreVms(scope, "golden", name="golden").vms.get(0).uuid``; the template sets the machine type
    (BIOS/UEFI/TPM) on the cluster. Inside an ``Application``, a VM without one is cloned from the template
    named for its ``machine_type`` in ``ApplicationProps.templates``, if there is one. Default: none, which
    creates an empty VM with HyperCore's default machine type and no cloud-init."""
    machine_type: Literal["bios", "uefi", "tpm"] = "uefi"
    """Machine type. Picks the template in an ``Application`` (``ApplicationProps.templates``); otherwise
    informational, since the clone template decides it on the cluster. Default: ``"uefi"``."""
    description: str | None = None
    """Description, never empty. Default: ``"<application>/<name> (managed by fleetform)"`` in an
    ``Application``, ``"<name> (managed by fleetform)"`` alone (never ``""``). ``""`` is sent as it is, with a
    warning on a VM that is cloned: the provider leaves an empty description out when it creates a VM, so the
    clone keeps its template's and the plan after the deploy shows a change."""
    tags: Sequence[str] = ()
    """Tags. Default: none (sent as ``[""]``: the provider crashes on an empty list)."""
    power_state: PowerState = "running"
    """Desired power state. Default: ``"running"``."""
    disks: Sequence[DiskProps] = ()
    """Storage devices. Default: none."""
    nics: Sequence[NicProps] = ()
    """Network devices. Default: none."""
    cloud_init: CloudInit | None = None
    """cloud-init data; needs ``template`` (HyperCore only takes it when cloning). Secret references
    (``{{ secret("name") }}``, :mod:`fleetform.manifest.secrets`) become sensitive Terraform variables. Default: none."""
    start_after: Sequence[str] = ()
    """Names of VMs of the same application that must be powered on before this one (its power-state
    resource depends on theirs). Default: none."""
    snapshot_schedule: str | None = None
    """Name of the snapshot schedule that takes this VM's automatic snapshots: one of the application's
    ``snapshot_schedules``, or a key of the ``snapshot_schedules`` mapping given to a ``VirtualMachine`` created
    directly. Default: none (``snapshot_schedule_uuid`` is left out, which the provider reads as ``""``: no
    schedule)."""
    protect_data: bool = True
    """Fail any plan that destroys or replaces this VM's data disks (disks without ``boot``), with Terraform's
    ``prevent_destroy``. Default: ``True``."""
    adopted: bool = False
    """The VM already exists on the cluster (``fleetform import``) and is imported, never created: no clone
    (so no ``template`` and no cloud-init), a boot order only when a disk has a ``boot`` index, and its
    snapshot schedule left as it is unless ``snapshot_schedule`` names one. Default: ``False``."""
    source: Location | None = None
    """Where this VM was declared, for error messages. Default: unknown."""


@dataclass(frozen=True, kw_only=True)
class ApplicationProps:
    """A multi-VM application: its images and VMs."""

    name: str
    """Application name."""
    images: Sequence[DiskImageProps] = ()
    """Images shared by the VMs. Default: none."""
    vms: Sequence[VirtualMachineProps] = ()
    """The VMs. Default: none."""
    snapshot_schedules: Sequence[SnapshotScheduleProps] = ()
    """Snapshot schedules the VMs attach to by name. Default: none."""
    templates: dict[str, str] = field(default_factory=dict)
    """machine_type -> name of the template VM to clone, looked up on the cluster by name with the
    ``hypercore_vms`` data source (``data.hypercore_vms.template-<machine_type>``, one per machine type in
    use). Used for VMs whose ``template`` is not set; a VM with neither is created empty. Default: none."""
