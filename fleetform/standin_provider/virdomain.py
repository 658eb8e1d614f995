"""Reading VirDomain records the way ``utils/vm.go`` and ``hypercore_vms_data_source.go`` read them.

The lookups (``GetOneVM``, ``GetOneVMWithError``, ``GetVMByName``) and the VM model both the power state's
``vm`` attribute and the ``hypercore_vms`` data source report (``BuildHypercoreVMModelFromAPIData``), with the
Go code's panics for records it cannot read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fleetform.standin_provider.base import (
    API,
    Record,
    any_to_bool,
    any_to_int,
    any_to_map,
    any_to_string,
    any_to_strings,
    bytes_to_mib,
)
from fleetform.standin_provider.diagnostics import crash
from fleetform.standin_provider.gofmt import go_value

if TYPE_CHECKING:
    from fleetform.standin_provider.rest import RestClient


def get_one_vm(rest: RestClient, uuid: str) -> Record:
    """``GetOneVM``: the VM by UUID, or a panic."""
    records = rest.list_records(f"{API}/VirDomain/{uuid}", {})
    if not records:
        raise crash(f"VM not found: uuid={uuid}")
    if len(records) > 1:
        raise crash(f"multiple VMs found: uuid={uuid}")
    return records[0]


def get_one_vm_with_error(rest: RestClient, uuid: str) -> tuple[Record | None, str | None]:
    """``GetOneVMWithError``: the VM, or the error text ``vm not found - vmUUID=...``."""
    record = rest.get_record(f"{API}/VirDomain/{uuid}")
    if record is None:
        return None, f"vm not found - vmUUID={uuid}"
    return record, None


def get_vm_by_name(rest: RestClient, name: str, must_exist: bool) -> Record | None:
    """``GetVMByName``: the full VM list, filtered by name here."""
    return rest.get_record(f"{API}/VirDomain", {"name": name}, must_exist)


def vm_details(vm: Record) -> dict[str, Any]:
    """``BuildHypercoreVMModelFromAPIData``: a VM as the ``vm``/``vms`` objects describe it."""
    tags = any_to_string(vm.get("tags")).split(",")
    block_devs = vm.get("blockDevs")
    if not isinstance(block_devs, list) or not all(isinstance(item, dict) for item in block_devs):
        raise crash(f"Unexpected blockDevs field: {go_value(block_devs)}")
    disks = [
        {
            "uuid": any_to_string(disk.get("uuid")),
            "type": any_to_string(disk.get("type")),
            "slot": any_to_int(disk.get("slot")),
            "size": float(any_to_int(disk.get("capacity"))) / 1000 / 1000 / 1000,
        }
        for disk in block_devs
    ]
    net_devs = vm.get("netDevs")
    if not isinstance(net_devs, list):
        raise crash(f"Unexpected netDevs field: {go_value(net_devs)}")
    if not all(isinstance(item, dict) for item in net_devs):
        raise crash(f"Unexpected nicDevs field: {go_value(vm.get('nicDevs'))}")
    nics = [
        {
            "uuid": any_to_string(nic.get("uuid")),
            "type": any_to_string(nic.get("type")),
            "vlan": any_to_int(nic.get("vlan")),
            "mac_address": any_to_string(nic.get("macAddress")),
            "ipv4_addresses": any_to_strings(nic.get("ipv4Addresses")),
        }
        for nic in net_devs
    ]
    affinity = any_to_map(vm.get("affinityStrategy"))
    strategy = {
        "strict_affinity": any_to_bool(affinity.get("strictAffinity")),
        "preferred_node_uuid": any_to_string(affinity.get("preferredNodeUUID")),
        "backup_node_uuid": any_to_string(affinity.get("backupNodeUUID")),
    }
    memory = bytes_to_mib(any_to_int(vm.get("mem")))
    return {
        "uuid": any_to_string(vm.get("uuid")),
        "name": any_to_string(vm.get("name")),
        "vcpu": any_to_int(vm.get("numVCPU")),
        "memory": memory,
        "snapshot_schedule_uuid": any_to_string(vm.get("snapshotScheduleUUID")),
        "description": any_to_string(vm.get("description")),
        "power_state": any_to_string(vm.get("state")),
        "tags": tags,
        "affinity_strategy": strategy,
        "disks": disks,
        "nics": nics,
    }
