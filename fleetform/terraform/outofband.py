"""Objects deleted outside fleetform: found through the REST API before Terraform refreshes, and taken out of state.

The provider (v1.4) never removes an object from state when HyperCore answers 404: every later refresh of a VM,
disk or NIC deleted in the HyperCore UI fails with a raw ``GET /rest/v1/VirDomain/… failed (HTTP 404)``, and
the only way out would be ``terraform state rm`` typed by hand. So before a plan, fleetform reads the stack's
state, asks the cluster (one list call per kind of object) which of its objects still exist, and:

- ``fleetform plan`` / ``deploy`` / ``destroy``: keeps a copy of the state (:func:`backup_state`), removes
  exactly the missing addresses from it (``terraform state rm``) and lets the plan create them again (the
  review says "deleted outside fleetform: will be created again");
- ``fleetform drift``: reports them and leaves the state alone (a drift check changes nothing).

A VM deleted outside fleetform takes its disks, NICs, boot order and power state with it: all of them are
missing. Nothing here deletes anything on the cluster.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fleetform.hypercore import HypercoreClient


class Inventory:
    """What exists on one cluster, listed once and on demand (one list call per kind of object): VMs with
    their disks and NICs, uploaded virtual disks, ISOs, snapshot schedules. Shared by the stacks of one run on that cluster."""

    def __init__(self, client: HypercoreClient):
        self._client = client
        self._ids: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def ids(self, kind: str) -> set[str]:
        """The UUIDs of ``vm``, ``disk``, ``nic``, ``virtual_disk``, ``iso`` or ``snapshot_schedule`` objects on
        the cluster."""
        with self._lock:
            if kind not in self._ids:
                if kind in ("vm", "disk", "nic"):
                    vms = self._client.list_vms()
                    self._ids["vm"] = {vm.uuid for vm in vms}
                    self._ids["disk"] = {d.uuid for vm in vms for d in vm.block_devs}
                    self._ids["nic"] = {n.uuid for vm in vms for n in vm.net_devs}
                elif kind == "virtual_disk":
                    self._ids[kind] = {d.uuid for d in self._client.list_virtual_disks()}
                elif kind == "snapshot_schedule":
                    self._ids[kind] = {s.uuid for s in self._client.list_snapshot_schedules()}
                else:
                    self._ids[kind] = {i.uuid for i in self._client.list_isos()}
            return self._ids[kind]


# Resource type -> (kind of object, the attribute holding its UUID).
_OBJECTS = {
    "hypercore_vm": ("vm", "id"),
    "hypercore_vm_boot_order": ("vm", "vm_uuid"),
    "hypercore_vm_power_state": ("vm", "vm_uuid"),
    "hypercore_disk": ("disk", "id"),
    "hypercore_nic": ("nic", "id"),
    "hypercore_virtual_disk": ("virtual_disk", "id"),
    "hypercore_iso": ("iso", "id"),
    # The provider's refresh fails with "Schedule not found" once it is gone (v1.4.0, vm_snapshot_schedule.go).
    "hypercore_vm_snapshot_schedule": ("snapshot_schedule", "id"),
}


def missing(source: HypercoreClient | Inventory, resources: Sequence[Mapping[str, Any]]) -> set[str]:
    """The addresses whose objects no longer exist on the cluster. ``source``: a logged-in client, or the
    :class:`Inventory` of its cluster; ``resources``: ``{"address", "type", "values"}`` each (``terraform show
    -json``'s form, or :func:`state_resources`)."""
    inventory = source if isinstance(source, Inventory) else Inventory(source)
    gone = set()
    for resource in resources:
        kind = _OBJECTS.get(str(resource.get("type", "")))
        if kind is None:
            continue
        values = resource.get("values") or {}
        if values.get(kind[1]) not in inventory.ids(kind[0]):
            gone.add(str(resource["address"]))
    return gone


def state_resources(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The managed resources of a raw state (``terraform state pull``, a local ``.tfstate``) in the form
    :func:`missing` reads. fleetform's stacks have no modules, counts or for_each: one instance each."""
    found = []
    for resource in state.get("resources") or []:
        if not isinstance(resource, Mapping) or resource.get("mode") != "managed" or resource.get("module"):
            continue
        instances = resource.get("instances") or []
        if len(instances) != 1 or "index_key" in instances[0]:
            continue
        found.append(
            {
                "address": f"{resource.get('type')}.{resource.get('name')}",
                "type": resource.get("type"),
                "values": instances[0].get("attributes") or {},
            }
        )
    return found


def backup_state(text: str, directory: Path, stack: str) -> Path:
    """Write a copy of a stack's raw state to ``directory/<stack>-<UTC time>.tfstate`` (owner-only: state holds
    secrets); the file written."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{stack}-{stamp}.tfstate"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def parse_state(text: str) -> dict[str, Any]:
    """A raw state's JSON (an empty state for empty text, as ``terraform state pull`` prints without one)."""
    if not text.strip():
        return {}
    data = json.loads(text)
    return data if isinstance(data, dict) else {}
