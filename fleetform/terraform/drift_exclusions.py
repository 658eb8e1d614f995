"""What ``fleetform drift`` does not count as drift, although a refresh-only plan shows it.

- HyperCore's own drives (:mod:`fleetform.hypercore.system_drives`): a guest tools CD-ROM attached, or the
  cloud-init drive, only change a power state's read-only ``vm.disks``.
- Attributes the stack's ``lifecycle.ignore_changes`` leaves alone on purpose: the provider reads a CD-ROM's
  ``size`` back (its ISO's) although none is configured, so right after a deploy every CD-ROM would otherwise
  show as drifted.

Pure functions over ``terraform show -json`` documents, plus one REST listing (:func:`system_drives`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fleetform.hypercore import HypercoreClient
from fleetform.hypercore.system_drives import system_drive_uuids


def system_drives(client: HypercoreClient) -> set[str]:
    """The UUIDs of HyperCore's own drives on the cluster (one list call)."""
    return set(system_drive_uuids(client.list_vms()))


def without_system_drive_drift(plan: Mapping[str, Any], system_drives: set[str]) -> dict[str, Any]:
    """``plan`` without the ``resource_drift`` entries that only HyperCore's own drives make (the guest tools
    CD-ROM attached, the cloud-init drive; :mod:`fleetform.hypercore.system_drives`): a power state's
    read-only ``vm.disks`` lists every drive of its VM, so without this every VM that gets guest tools would
    show as drifted."""
    kept = []
    for rc in plan.get("resource_drift") or []:
        change = rc.get("change") or {}
        before, after = change.get("before"), change.get("after")
        if not (
            rc.get("type") == "hypercore_vm_power_state"
            and _without_drives(before, system_drives) == _without_drives(after, system_drives)
        ):
            kept.append(rc)
    return {**plan, "resource_drift": kept}


def ignored_attributes(workdir: Path) -> dict[str, set[str]]:
    """Address -> the attributes the stack's ``lifecycle.ignore_changes`` leaves alone (``*`` for ``all``),
    from the synthesized ``cdk.tf.json``; empty when it cannot be read."""
    try:
        data = json.loads((workdir / "cdk.tf.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, set[str]] = {}
    for rtype, resources in ((data.get("resource") or {}) if isinstance(data, dict) else {}).items():
        for name, body in (resources or {}).items():
            ignored = ((body or {}).get("lifecycle") or {}).get("ignore_changes")
            if ignored == "all":
                found[f"{rtype}.{name}"] = {"*"}
            elif isinstance(ignored, list):
                found[f"{rtype}.{name}"] = {str(a) for a in ignored}
    return found


def without_ignored_drift(plan: Mapping[str, Any], ignored: Mapping[str, set[str]]) -> dict[str, Any]:
    """``plan`` without the ``resource_drift`` entries whose every changed attribute the configuration ignores
    (``lifecycle.ignore_changes``): fleetform leaves those alone on purpose, so their changes are not drift. The
    case that matters: the provider reads a CD-ROM's ``size`` back (its ISO's) although none is configured, so
    right after a deploy every CD-ROM would otherwise show as drifted."""
    kept = []
    for rc in plan.get("resource_drift") or []:
        skip = ignored.get(str(rc.get("address")), set())
        change = rc.get("change") or {}
        before, after = change.get("before"), change.get("after")
        if not (skip and isinstance(before, dict) and isinstance(after, dict)):
            kept.append(rc)
            continue
        changed = {key for key in {*before, *after} if before.get(key) != after.get(key)}
        if "*" not in skip and not changed <= skip:
            kept.append(rc)
    return {**plan, "resource_drift": kept}


def _without_drives(values: Any, system_drives: set[str]) -> Any:
    """A power state's values with the system drives left out of ``vm.disks``."""
    if not isinstance(values, dict) or not isinstance(values.get("vm"), dict):
        return values
    vm = values["vm"]
    disks = vm.get("disks")
    if not isinstance(disks, list):
        return values
    kept = [d for d in disks if not (isinstance(d, dict) and d.get("uuid") in system_drives)]
    return {**values, "vm": {**vm, "disks": kept}}
