"""What fleetform drift does not report: HyperCore's own drives (a guest tools CD-ROM attached, or the cloud-init
drive, only change a power state's read-only ``vm.disks``), and attributes the configuration ignores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from planfactory import PRIOR, SYSTEM_UUID, VM_UUID, plan_json, rc, write_bundle

from fleetform.review import build_review, load_bundle
from fleetform.terraform.drift import _report_plan
from fleetform.terraform.drift_exclusions import (
    ignored_attributes,
    without_ignored_drift,
    without_system_drive_drift,
)

GUEST_TOOLS = "44444444-0000-0000-0000-0000000000a1"
USER_DISK = "44444444-0000-0000-0000-0000000000b2"


def power_with(disks: list[str], **values: Any) -> dict[str, Any]:
    listed = [
        {"uuid": uuid, "type": "IDE_CDROM", "slot": slot, "size": 0.1} for slot, uuid in enumerate(disks)
    ]
    return {
        "id": VM_UUID,
        "vm_uuid": VM_UUID,
        "state": "RUNNING",
        "vm": {"uuid": VM_UUID, "name": "web", "memory": 2048, "disks": listed, **values},
    }


def drift_of(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    plan = plan_json([], PRIOR)
    plan["resource_drift"] = [rc("hypercore_vm_power_state.web", ["update"], before, after)]
    return plan


def reviewed(tmp_path: Path, plan: dict[str, Any]) -> list[str]:
    report = _report_plan(plan, {"values": plan["prior_state"]["values"]}, [], set())
    directory = write_bundle(tmp_path / "drift", {"shop": report})
    review = build_review(load_bundle([directory]))
    return [change.address for stack in review.stacks for vm in stack.vms for change in vm.changes]


def test_guest_tools_attached_outside_fleetform_is_no_drift(tmp_path: Path) -> None:
    plan = drift_of(power_with([SYSTEM_UUID]), power_with([SYSTEM_UUID, GUEST_TOOLS]))
    kept = without_system_drive_drift(plan, {GUEST_TOOLS})
    assert kept["resource_drift"] == []
    assert reviewed(tmp_path, kept) == []


def test_other_changes_next_to_a_system_drive_are_still_drift(tmp_path: Path) -> None:
    user_disk = drift_of(power_with([SYSTEM_UUID]), power_with([SYSTEM_UUID, GUEST_TOOLS, USER_DISK]))
    memory = drift_of(power_with([SYSTEM_UUID]), power_with([SYSTEM_UUID, GUEST_TOOLS], memory=4096))
    for plan in (user_disk, memory):
        kept = without_system_drive_drift(plan, {GUEST_TOOLS})
        assert [d["address"] for d in kept["resource_drift"]] == ["hypercore_vm_power_state.web"]
        assert reviewed(tmp_path, kept) == ["hypercore_vm_power_state.web"]


def test_attributes_the_configuration_ignores_are_not_drift(tmp_path: Path) -> None:
    # The provider reads a CD-ROM's size back although none is configured (fleetform ignores it): that alone
    # is no drift; a changed type next to it is.
    workdir = tmp_path / "stack"
    workdir.mkdir()
    lifecycle = {"lifecycle": {"ignore_changes": ["size"]}}
    (workdir / "cdk.tf.json").write_text(json.dumps({"resource": {"hypercore_disk": {"web__cd": lifecycle}}}))
    cdrom = {"id": "cd", "vm_uuid": VM_UUID, "type": "IDE_CDROM", "size": None, "slot": 1}
    plan = plan_json([], PRIOR)
    plan["resource_drift"] = [rc("hypercore_disk.web__cd", ["update"], cdrom, {**cdrom, "size": 4.096e-06})]
    ignored = ignored_attributes(workdir)
    assert ignored == {"hypercore_disk.web__cd": {"size"}}
    assert without_ignored_drift(plan, ignored)["resource_drift"] == []
    plan["resource_drift"][0]["change"]["after"]["type"] = "IDE_DISK"
    assert len(without_ignored_drift(plan, ignored)["resource_drift"]) == 1
    assert ignored_attributes(tmp_path / "missing") == {}
