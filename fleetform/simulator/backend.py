"""The simulated HyperCore cluster: one verb method per REST operation, over the SQLite tables.

:class:`Backend` is a facade: the verbs live in one backend per HyperCore entity
(:mod:`fleetform.simulator.backends`: ``vms``, ``disks``, ``nics``, ``images``, ``snapshots``, ``tasks``,
``cluster``, over ``core``'s tables), the records in :mod:`fleetform.simulator.models`, and the HTTP layer
(:mod:`~fleetform.simulator.api`, :mod:`~fleetform.simulator.admin`) calls :class:`Backend` only.

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

from pathlib import Path

from fleetform.simulator.backends.cluster import ClusterBackend
from fleetform.simulator.backends.core import Seed, Timing
from fleetform.simulator.backends.images import ImageBackend
from fleetform.simulator.backends.snapshots import SnapshotBackend
from fleetform.simulator.faults import FaultBook


class Backend(SnapshotBackend, ImageBackend, ClusterBackend):
    """The cluster: its VMs, devices, images, tasks and sessions, persisted under ``data_dir``, seeded on start."""

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
        super().__init__(
            data_dir,
            username=username,
            password=password,
            nodes=nodes,
            timing=timing,
            faults=faults,
            seed=seed,
        )
        self.seed()
