"""VMs (``/rest/v1/VirDomain``): create, clone, update, delete, their records with devices and latest task,
power actions (``/rest/v1/VirDomain/action``) and the action log, and HyperCore's own cloud-init and guest
tools drives.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace

from fleetform.simulator.backends.core import OFF_STATES, Caller, Record, new_uuid
from fleetform.simulator.backends.disks import BlockDeviceBackend, device_of_record
from fleetform.simulator.backends.nics import NetDeviceBackend
from fleetform.simulator.errors import BadRequest, InternalError, TaskRefused
from fleetform.simulator.models import (
    CLOUD_INIT_ISO_SIZE,
    EMPTY_TASK,
    GIB,
    GUEST_TOOLS_ISO,
    GUEST_TOOLS_ISO_SIZE,
    KEYWORD_OF_MACHINE_TYPE,
    MACHINE_TYPES,
    SYSTEM_ISO_DIR,
    ActionRecord,
    Task,
    TaskRef,
    Vm,
    now,
)
from fleetform.simulator.schemas import Action, VirDomainClone, VirDomainCreate, VirDomainUpdate


class VmBackend(BlockDeviceBackend, NetDeviceBackend):
    """VMs and their power; a VM's disks and NICs are made through the device backends."""

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
                    else [device_of_record(record) for record in snapshot.domain.get("blockDevs", [])]
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


def _fill(template: str, parameters: list[str]) -> str:
    values = iter(parameters)
    return re.sub(r"%@", lambda _: str(next(values, "%@")), template)
