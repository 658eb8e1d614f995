"""What each planned change does on HyperCore, what is dangerous, and what a review shows (synthetic plans)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planfactory import (
    NIC_UUID,
    PRIOR,
    SYSTEM_UUID,
    VM_UUID,
    disk,
    plan_json,
    power,
    rc,
    vm,
    write_bundle,
)

from fleetform.review import build_review, exit_code, load_bundle, parse_plan, render_json
from fleetform.review.hypercore import disk_losses, is_data_disk
from fleetform.review.model import Review, StackReview


def review_of(
    tmp_path: Path, changes: list[dict[str, Any]], prior: dict[str, Any] | None = None, **entry: Any
) -> Review:
    plan = plan_json(changes, PRIOR if prior is None else prior)
    directory = write_bundle(tmp_path / "plans", {"shop": plan}, entries={"shop": entry} if entry else None)
    return build_review(load_bundle([directory]))


def stack(review: Review) -> StackReview:
    return review.stacks[0]


def attributes(review: Review, address: str) -> dict[str, Any]:
    for vm_view in stack(review).vms:
        for change in vm_view.changes:
            if change.address == address:
                return {a.label: a for a in change.attributes}
    raise KeyError(address)


def test_vcpu_and_memory_change_in_place_after_a_power_cycle(tmp_path: Path) -> None:
    review = review_of(tmp_path, [rc("hypercore_vm.web", ["update"], vm(), vm(vcpu=4, memory=3072))])
    shown = attributes(review, "hypercore_vm.web")
    assert (shown["memory"].before, shown["memory"].after, shown["memory"].effect) == (
        "2 GiB",
        "3 GiB",
        "power-cycle",
    )
    assert shown["vCPUs"].effect == "power-cycle"
    assert [a.kind for a in review.attention] == ["power-cycle"]
    assert exit_code(review) == 0


def test_tags_change_in_place(tmp_path: Path) -> None:
    review = review_of(tmp_path, [rc("hypercore_vm.web", ["update"], vm(), vm(tags=["web", "prod"]))])
    tags = attributes(review, "hypercore_vm.web")["tags"]
    assert (tags.before, tags.after, tags.effect) == ("web", "web, prod", "in-place")
    assert review.attention == []


def test_cloud_init_change_is_ignored_by_the_provider_and_offers_a_rebuild(tmp_path: Path) -> None:
    before = vm(clone={"source_vm_uuid": "tmpl", "user_data": "#cloud-config\nhostname: a\n"})
    after = vm(clone={"source_vm_uuid": "tmpl", "user_data": "#cloud-config\nhostname: b\n"})
    review = review_of(tmp_path, [rc("hypercore_vm.web", ["update"], before, after)])
    user_data = attributes(review, "hypercore_vm.web")["cloud-init user_data"]
    assert user_data.effect == "ignored"
    assert user_data.diff == ["- hostname: a", "+ hostname: b"]
    assert "replace_triggered_by" in review.attention[0].hint
    assert "-replace=hypercore_vm.web" in review.attention[0].hint


def test_disk_growth_is_in_place_and_shrinking_will_fail(tmp_path: Path) -> None:
    grow = review_of(
        tmp_path / "a", [rc("hypercore_disk.web__data", ["update"], disk(), disk(size=53.687091200))]
    )
    size = attributes(grow, "hypercore_disk.web__data")["size"]
    assert (size.before, size.after, size.effect) == ("21.5 GB (20.0 GiB)", "53.7 GB (50.0 GiB)", "in-place")
    shrink = review_of(tmp_path / "b", [rc("hypercore_disk.web__data", ["update"], disk(), disk(size=10.0))])
    assert attributes(shrink, "hypercore_disk.web__data")["size"].effect == "fails"
    assert [a.kind for a in shrink.attention] == ["fails"]


def test_new_source_image_is_ignored(tmp_path: Path) -> None:
    review = review_of(
        tmp_path,
        [
            rc(
                "hypercore_disk.web__system",
                ["update"],
                disk(SYSTEM_UUID, source_virtual_disk_id="a"),
                disk(SYSTEM_UUID, source_virtual_disk_id="b"),
            )
        ],
    )
    assert attributes(review, "hypercore_disk.web__system")["image"].effect == "ignored"


def test_nic_vlan_change_is_named_by_the_site_and_in_place(tmp_path: Path) -> None:
    nic = {"id": NIC_UUID, "vm_uuid": VM_UUID, "type": "VIRTIO", "vlan": 20}
    review = review_of(tmp_path, [rc("hypercore_nic.web__web-net", ["update"], nic, {**nic, "vlan": 30})])
    vlan = attributes(review, "hypercore_nic.web__web-net")["VLAN"]
    assert (vlan.before, vlan.after, vlan.effect) == ("20 (web-net)", "30 (app-net)", "in-place")


def test_power_off_is_dangerous(tmp_path: Path) -> None:
    review = review_of(tmp_path, [rc("hypercore_vm_power_state.web", ["update"], power(), power("SHUTOFF"))])
    assert [d.kind for d in review.dangers] == ["power-off"]
    assert exit_code(review) == 2


def test_power_state_leaving_the_configuration_powers_the_vm_off(tmp_path: Path) -> None:
    review = review_of(tmp_path, [rc("hypercore_vm_power_state.web", ["delete"], power(), None)])
    assert [d.kind for d in review.dangers] == ["power-off"]


def test_disk_in_the_boot_order_is_a_boot_disk_and_others_hold_data() -> None:
    plan = parse_plan(plan_json([], PRIOR))
    assert not is_data_disk(plan, "hypercore_disk.web__system")
    assert is_data_disk(plan, "hypercore_disk.web__data")


def test_disk_of_a_vm_without_boot_order_counts_as_data() -> None:
    prior = {k: v for k, v in PRIOR.items() if "boot_order" not in k}
    assert is_data_disk(parse_plan(plan_json([], prior)), "hypercore_disk.web__system")


def test_cdrom_holds_no_data() -> None:
    prior = {**PRIOR, "hypercore_disk.web__cd": disk("cd-uuid", 0, type="IDE_CDROM")}
    assert not is_data_disk(parse_plan(plan_json([], prior)), "hypercore_disk.web__cd")


def test_removed_vm_destroys_its_data_disk_first_in_the_dangers(tmp_path: Path) -> None:
    changes = [
        rc(address, ["delete"], values, None, action_reason="delete_because_no_resource_config")
        for address, values in PRIOR.items()
    ]
    review = review_of(tmp_path, changes)
    kinds = [d.kind for d in review.dangers]
    assert kinds == ["data-disk-destroyed", "vm-destroyed", "disk-destroyed"]
    assert review.dangers[0].data_disk and "its VM is removed from the manifest" in review.dangers[0].message
    assert "power-off" not in kinds  # part of destroying the VM


def test_replaced_vm_loses_its_disks_although_terraform_shows_updates(tmp_path: Path) -> None:
    changes = [
        rc(
            "hypercore_vm.web",
            ["delete", "create"],
            vm(),
            vm(id=None),
            after_unknown={"id": True},
            action_reason="replace_by_request",
        ),
        rc(
            "hypercore_disk.web__data",
            ["update"],
            disk(),
            disk(vm_uuid=None),
            after_unknown={"vm_uuid": True},
        ),
        rc(
            "hypercore_disk.web__system",
            ["update"],
            disk(SYSTEM_UUID),
            disk(SYSTEM_UUID, vm_uuid=None),
            after_unknown={"vm_uuid": True},
        ),
    ]
    review = review_of(tmp_path, changes)
    kinds = [d.kind for d in review.dangers]
    assert kinds == ["data-disk-lost", "vm-replaced", "disk-lost"]
    assert "requested with -replace" in review.dangers[1].message
    losses = disk_losses(parse_plan(plan_json(changes, PRIOR)))
    assert {loss.address: loss.with_vm for loss in losses} == {
        "hypercore_disk.web__data": True,
        "hypercore_disk.web__system": True,
    }


def test_removing_a_disk_from_a_running_vm_will_fail(tmp_path: Path) -> None:
    changes = [
        rc(
            "hypercore_disk.web__data",
            ["delete"],
            disk(),
            None,
            action_reason="delete_because_no_resource_config",
        ),
        rc("hypercore_vm_power_state.web", ["no-op"], power(), power()),
    ]
    review = review_of(tmp_path, changes)
    assert [a.kind for a in review.attention] == ["fails"]
    assert "Still in use" in review.attention[0].message


def test_sensitive_values_are_never_shown(tmp_path: Path) -> None:
    before = vm(clone={"source_vm_uuid": "tmpl", "user_data": "password: the-old-secret"})
    after = vm(clone={"source_vm_uuid": "tmpl", "user_data": "password: the-new-secret"})
    marks = {"clone": {"user_data": True}}
    review = review_of(
        tmp_path,
        [rc("hypercore_vm.web", ["update"], before, after, before_sensitive=marks, after_sensitive=marks)],
    )
    user_data = attributes(review, "hypercore_vm.web")["cloud-init user_data"]
    assert (user_data.before, user_data.after, user_data.diff) == ("(sensitive)", "(sensitive)", [])
    text = render_json(review)
    assert "the-old-secret" not in text and "the-new-secret" not in text and "the-variable-value" not in text


def test_values_known_only_after_apply_say_so(tmp_path: Path) -> None:
    nic = {"id": NIC_UUID, "vm_uuid": VM_UUID, "type": "VIRTIO", "vlan": 20, "mac_address": "aa"}
    review = review_of(
        tmp_path,
        [
            rc(
                "hypercore_nic.web__web-net",
                ["update"],
                nic,
                {**nic, "vlan": None},
                after_unknown={"vlan": True},
            )
        ],
    )
    assert attributes(review, "hypercore_nic.web__web-net")["VLAN"].after == "(known after apply)"


def test_moves_and_imports_are_counted(tmp_path: Path) -> None:
    changes = [
        rc("hypercore_vm.web", ["no-op"], vm(), vm(), previous_address="hypercore_vm.old"),
        rc("hypercore_vm_power_state.web", ["no-op"], power(), power(), importing={"id": VM_UUID}),
    ]
    review = review_of(tmp_path, changes)
    assert (stack(review).counts["move"], stack(review).counts["import"], stack(review).counts["no-op"]) == (
        1,
        1,
        2,
    )
    views = {c.address: c for c in stack(review).vms[0].changes}
    assert views["hypercore_vm.web"].moved_from == "hypercore_vm.old"
    assert views["hypercore_vm_power_state.web"].importing_id == VM_UUID


def test_failed_stack_makes_the_review_incomplete(tmp_path: Path) -> None:
    directory = write_bundle(
        tmp_path / "plans", {}, entries={"broken": {"status": "failed", "message": "boom"}}
    )
    review = build_review(load_bundle([directory]))
    assert review.failed and exit_code(review) == 1
    assert review.dangers[0].kind == "stack-failed"


def test_stacks_without_changes_come_last(tmp_path: Path) -> None:
    plans = {
        "a-quiet": plan_json([rc("hypercore_vm.web", ["no-op"], vm(), vm())], PRIOR),
        "b-busy": plan_json([rc("hypercore_vm.web", ["update"], vm(), vm(vcpu=4))], PRIOR),
        "c-danger": plan_json(
            [rc("hypercore_vm_power_state.web", ["update"], power(), power("SHUTOFF"))], PRIOR
        ),
    }
    review = build_review(load_bundle([write_bundle(tmp_path / "plans", plans)]))
    assert [s.name for s in review.stacks] == ["c-danger", "b-busy", "a-quiet"]
