"""How the review shows snapshot schedules (``hypercore_vm_snapshot_schedule``) and VMs attached to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planfactory import PRIOR, plan_json, rc, vm, write_bundle

from fleetform.review import build_review, load_bundle, render_markdown
from fleetform.review.model import ChangeView, Review

SCHEDULE = "hypercore_vm_snapshot_schedule.nightly"
SCHEDULE_UUID = "55555555-0000-0000-0000-000000000001"
RULE = {
    "name": "nightly",
    "start_timestamp": "2025-01-01 02:00:00",
    "frequency": "FREQ=DAILY;INTERVAL=1",
    "local_retention_seconds": 604800,
    "remote_retention_seconds": 604800,
}


def schedule(**values: Any) -> dict[str, Any]:
    return {"id": SCHEDULE_UUID, "name": "shop-nightly", "rules": [RULE], **values}


def reviewed(tmp_path: Path, changes: list[dict[str, Any]], prior: dict[str, Any]) -> Review:
    plan = plan_json(changes, prior)
    plan["configuration"]["root_module"]["resources"] = [
        {
            "address": "hypercore_vm.web",
            "expressions": {"snapshot_schedule_uuid": {"references": [f"{SCHEDULE}.id", SCHEDULE]}},
        }
    ]
    return build_review(load_bundle([write_bundle(tmp_path / "plans", {"shop": plan})]))


def change(review: Review, address: str) -> ChangeView:
    stack = review.stacks[0]
    views = [*stack.others, *(c for v in stack.vms for c in v.changes)]
    return next(view for view in views if view.address == address)


def test_a_new_schedule_and_the_vm_attached_to_it_read_in_words(tmp_path: Path) -> None:
    review = reviewed(
        tmp_path,
        [
            rc(
                SCHEDULE,
                ["create"],
                None,
                {"name": "shop-nightly", "rules": [RULE]},
                after_unknown={"id": True},
            ),
            rc(
                "hypercore_vm.web",
                ["update"],
                vm(snapshot_schedule_uuid=""),
                vm(),
                after_unknown={"snapshot_schedule_uuid": True},
            ),
        ],
        PRIOR,
    )
    created = change(review, SCHEDULE)
    assert created.subject == "snapshot schedule nightly"
    shown = {a.label: a.after for a in created.attributes}
    assert shown == {
        "name": "shop-nightly",
        "rules": "nightly: FREQ=DAILY;INTERVAL=1 from 2025-01-01 02:00:00, kept 1 week (remote 1 week)",
    }
    attached = {a.label: a for a in change(review, "hypercore_vm.web").attributes}["snapshot schedule"]
    assert (attached.before, attached.after, attached.effect) == (
        "(none)",
        "snapshot schedule nightly",
        "in-place",
    )
    assert "snapshot schedule nightly" in render_markdown(review)


def test_detaching_a_vm_says_it_takes_no_more_snapshots(tmp_path: Path) -> None:
    prior = {**PRIOR, SCHEDULE: schedule(), "hypercore_vm.web": vm(snapshot_schedule_uuid=SCHEDULE_UUID)}
    review = reviewed(
        tmp_path,
        [
            rc(
                "hypercore_vm.web",
                ["update"],
                vm(snapshot_schedule_uuid=SCHEDULE_UUID),
                vm(snapshot_schedule_uuid=""),
            ),
            rc(SCHEDULE, ["delete"], schedule(), None, action_reason="delete_because_no_resource_config"),
        ],
        prior,
    )
    detached = {a.label: a for a in change(review, "hypercore_vm.web").attributes}["snapshot schedule"]
    assert (detached.before, detached.after) == ("snapshot schedule nightly", "(none)")
    assert "no more automatic snapshots" in detached.note
    deleted = change(review, SCHEDULE)
    assert deleted.action == "delete" and deleted.reason == "no longer in the manifest"


def test_changed_rules_show_both_sides_and_vms_without_schedules_say_nothing(tmp_path: Path) -> None:
    weekly = {**RULE, "frequency": "FREQ=WEEKLY;BYDAY=SU", "remote_retention_seconds": 0}
    review = reviewed(
        tmp_path,
        [
            rc(SCHEDULE, ["update"], schedule(), schedule(rules=[weekly])),
            rc(
                "hypercore_vm.new",
                ["create"],
                None,
                vm("new", snapshot_schedule_uuid=""),
                after_unknown={"id": True},
            ),
        ],
        {**PRIOR, SCHEDULE: schedule()},
    )
    rules = {a.label: a for a in change(review, SCHEDULE).attributes}["rules"]
    assert rules.before.endswith("kept 1 week (remote 1 week)")
    assert rules.after == "nightly: FREQ=WEEKLY;BYDAY=SU from 2025-01-01 02:00:00, kept 1 week (remote 0)"
    assert "snapshot schedule" not in {a.label for a in change(review, "hypercore_vm.new").attributes}
