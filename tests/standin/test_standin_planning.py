"""The stand-in plans the way the real provider's framework does (defaults, unknowns, UseStateForUnknown)."""

from __future__ import annotations

from typing import Any

from tf.types import Unknown

from fleetform.standin_provider.planning import plan_change
from fleetform.standin_provider.resources.disk import DiskResource
from fleetform.standin_provider.resources.nic import NicResource
from fleetform.standin_provider.resources.vm import VmResource
from fleetform.standin_provider.resources.vm_power_state import VmPowerStateResource
from fleetform.standin_provider.schema import load_schema, normalize

SCHEMA = load_schema()


def vm_config(**values: Any) -> dict[str, Any]:
    config = {
        "name": "web-1",
        "description": "",
        "tags": [""],
        "vcpu": 2,
        "memory": 4096,
        "affinity_strategy": {},
        "clone": {"source_vm_uuid": "tmpl", "user_data": "#cloud-config\n"},
    }
    config.update(values)
    return normalize(SCHEMA.resources["hypercore_vm"].block, config)


def plan_vm(prior: dict[str, Any] | None, config: dict[str, Any]) -> dict[str, Any]:
    proposed = dict(config)
    if prior is not None:  # Terraform proposes prior values for computed attributes the config leaves null
        for name in ("id", "snapshot_schedule_uuid"):
            proposed[name] = prior[name]
        if config["affinity_strategy"] is None:
            proposed["affinity_strategy"] = prior["affinity_strategy"]
        else:
            proposed["affinity_strategy"] = {
                k: v if v is not None else prior["affinity_strategy"][k]
                for k, v in config["affinity_strategy"].items()
            }
    return plan_change(SCHEMA.resources["hypercore_vm"].block, VmResource.rules, prior, proposed, config)


def created_vm(**values: Any) -> dict[str, Any]:
    state = vm_config(**values)
    state.update(
        id="vm-1",
        snapshot_schedule_uuid="",
        affinity_strategy={"strict_affinity": False, "preferred_node_uuid": "", "backup_node_uuid": ""},
    )
    state["clone"] = {**state["clone"], "preserve_mac_address": False}
    return state


def test_create_plan_marks_empty_affinity_attributes_unknown() -> None:
    planned = plan_vm(None, vm_config())
    assert planned["affinity_strategy"] == {
        "strict_affinity": Unknown,
        "preferred_node_uuid": Unknown,
        "backup_node_uuid": Unknown,
    }
    assert planned["id"] is Unknown


def test_create_plan_marks_omitted_affinity_object_unknown() -> None:
    assert plan_vm(None, vm_config(affinity_strategy=None))["affinity_strategy"] is Unknown


def test_create_plan_applies_defaults_inside_and_outside_nested_attributes() -> None:
    planned = plan_vm(None, vm_config())
    assert planned["snapshot_schedule_uuid"] == ""
    assert planned["clone"]["preserve_mac_address"] is False
    assert planned["clone"]["meta_data"] is None


def test_update_plan_without_changes_equals_prior_state() -> None:
    prior = created_vm()
    assert plan_vm(prior, vm_config()) == prior


def test_update_plan_keeps_state_for_unknown_id_and_affinity() -> None:
    prior = created_vm()
    planned = plan_vm(prior, vm_config(vcpu=4))
    assert planned["vcpu"] == 4
    assert planned["id"] == "vm-1"
    assert planned["affinity_strategy"] == prior["affinity_strategy"]


def test_update_plan_with_omitted_affinity_marks_object_unknown() -> None:
    prior = created_vm()
    planned = plan_vm(prior, vm_config(vcpu=4, affinity_strategy=None))
    assert planned["affinity_strategy"] is Unknown


def test_disk_update_plan_marks_slot_unknown_and_keeps_flash_priority_default() -> None:
    block = SCHEMA.resources["hypercore_disk"].block
    prior = normalize(
        block,
        {"id": "d1", "vm_uuid": "vm-1", "type": "VIRTIO_DISK", "slot": 1, "size": 10.0, "flash_priority": 4},
    )
    config = normalize(block, {"vm_uuid": "vm-1", "type": "VIRTIO_DISK", "size": 20.0})
    proposed = {**config, "id": "d1", "slot": 1, "flash_priority": 4}
    planned = plan_change(block, DiskResource.rules, prior, proposed, config)
    assert planned["slot"] is Unknown
    assert planned["flash_priority"] == 4
    assert planned["id"] == "d1"


def test_nic_create_plan_leaves_omitted_mac_address_unknown() -> None:
    block = SCHEMA.resources["hypercore_nic"].block
    config = normalize(block, {"vm_uuid": "vm-1", "type": "VIRTIO", "vlan": 10})
    planned = plan_change(block, NicResource.rules, None, dict(config), config)
    assert planned["mac_address"] is Unknown


def test_power_state_update_plan_marks_computed_vm_unknown() -> None:
    block = SCHEMA.resources["hypercore_vm_power_state"].block
    prior = normalize(block, {"id": "vm-1", "vm_uuid": "vm-1", "state": "RUNNING", "vm": {"uuid": "vm-1"}})
    config = normalize(block, {"vm_uuid": "vm-1", "state": "SHUTOFF"})
    proposed = {**config, "id": "vm-1", "vm": prior["vm"]}
    planned = plan_change(block, VmPowerStateResource.rules, prior, proposed, config)
    assert planned["vm"] is Unknown
    assert planned["id"] == "vm-1"


def test_normalize_turns_decimal_strings_into_nearest_float() -> None:
    block = SCHEMA.resources["hypercore_disk"].block
    value = normalize(block, {"size": "1.073741824", "slot": 2})
    assert value["size"] == 1.073741824
    assert value["slot"] == 2
    assert value["iso_uuid"] is None
