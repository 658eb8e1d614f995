"""Small ``terraform show -json`` documents and plan directories built in code, for the pure review tests.

The shapes follow real plans of the stand-in provider (see test_review_e2e.py for the real thing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VM_UUID = "11111111-0000-0000-0000-000000000001"
SYSTEM_UUID = "22222222-0000-0000-0000-000000000001"
DATA_UUID = "22222222-0000-0000-0000-000000000002"
NIC_UUID = "33333333-0000-0000-0000-000000000001"


def rc(
    address: str,
    actions: list[str],
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ``resource_changes`` entry."""
    rtype, _, name = address.partition(".")
    change: dict[str, Any] = {
        "actions": actions,
        "before": before,
        "after": after,
        "after_unknown": extra.pop("after_unknown", {}),
        "before_sensitive": extra.pop("before_sensitive", {}),
        "after_sensitive": extra.pop("after_sensitive", {}),
    }
    for key in ("replace_paths", "importing"):
        if key in extra:
            change[key] = extra.pop(key)
    return {"address": address, "mode": "managed", "type": rtype, "name": name, "change": change, **extra}


def vm(name: str = "web", **values: Any) -> dict[str, Any]:
    return {
        "id": values.pop("id", VM_UUID),
        "name": name,
        "description": "",
        "tags": ["web"],
        "vcpu": 2,
        "memory": 2048,
        "clone": {
            "source_vm_uuid": "tmpl",
            "user_data": None,
            "meta_data": None,
            "preserve_mac_address": False,
        },
        **values,
    }


def disk(uuid: str = DATA_UUID, size: float = 21.47483648, **values: Any) -> dict[str, Any]:
    return {"id": uuid, "vm_uuid": VM_UUID, "type": "VIRTIO_DISK", "size": size, "slot": 0, **values}


def boot_order(devices: list[str]) -> dict[str, Any]:
    return {"id": VM_UUID, "vm_uuid": VM_UUID, "boot_devices": devices}


def power(state: str = "RUNNING") -> dict[str, Any]:
    return {"id": VM_UUID, "vm_uuid": VM_UUID, "state": state}


PRIOR = {
    "hypercore_vm.web": vm(),
    "hypercore_disk.web__system": disk(SYSTEM_UUID, 10.73741824),
    "hypercore_disk.web__data": disk(DATA_UUID),
    "hypercore_vm_boot_order.web": boot_order([SYSTEM_UUID, NIC_UUID]),
    "hypercore_vm_power_state.web": power(),
}
"""A running VM ``web`` with a boot disk ``system`` (in the boot order) and a data disk ``data``."""


def state_resource(address: str, values: dict[str, Any]) -> dict[str, Any]:
    rtype, _, name = address.partition(".")
    return {"address": address, "mode": "managed", "type": rtype, "name": name, "values": values}


def plan_json(
    changes: list[dict[str, Any]], prior: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A whole plan document; ``prior`` (address -> values) becomes the prior state."""
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": {"secret_db": {"value": "the-variable-value"}},
        "configuration": {"root_module": {"variables": {"secret_db": {"sensitive": True}}}},
        "prior_state": {
            "values": {"root_module": {"resources": [state_resource(a, v) for a, v in (prior or {}).items()]}}
        },
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": changes,
    }


def write_bundle(
    directory: Path,
    plans: dict[str, dict[str, Any]],
    *,
    entries: dict[str, dict[str, Any]] | None = None,
    networks: dict[str, int] | None = None,
) -> Path:
    """A plan directory as ``fleetform plan`` writes it, with these plan documents (stack -> plan JSON)."""
    directory.mkdir(parents=True, exist_ok=True)
    stacks = {}
    for name, document in plans.items():
        (directory / name).mkdir(exist_ok=True)
        (directory / name / "plan.json").write_text(json.dumps(document))
        changes = any(c["change"]["actions"] != ["no-op"] for c in document["resource_changes"])
        stacks[name] = {
            "status": "planned",
            "changes": changes,
            "workdir": f"cdktf.out/stacks/{name}",
            "networks": networks or {"web-net": 20, "app-net": 30},
            **(entries or {}).get(name, {}),
        }
    for name, entry in (entries or {}).items():
        if name not in stacks:
            (directory / name).mkdir(exist_ok=True)
            stacks[name] = {"workdir": f"cdktf.out/stacks/{name}", **entry}
    index = {
        "format": "fleetform-plans/1",
        "created": "2026-11-25T10:00:00Z",
        "terraform_version": "1.11.4",
        "commit": "0123456789abcdef0123",
        "project": str(directory.parent),
        "stacks": stacks,
    }
    (directory / "manifest.json").write_text(json.dumps(index))
    return directory
