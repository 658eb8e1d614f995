"""``fleetform apply`` applies exactly the reviewed plans, and refuses stale or changed ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reviewsupport import Reviewed, cli, plan, plan_and_review
from support.sandbox import TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

SHOP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: uefi
        state: running
        tags: [web]
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
        network_devices:
          - {name: web-net, type: virtio}
    - type: virdomain
      name: db
      spec:
        cpu: 2
        memory: 4GiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
          - {name: data, type: virtio_disk, capacity: 20GiB}
        network_devices:
          - {name: db-net, type: virtio}
"""
CACHE = """\
    - type: virdomain
      name: cache
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
        network_devices:
          - {name: app-net, type: virtio}
"""
CHANGED = (
    SHOP.split("    - type: virdomain\n      name: db\n")[0].replace(
        "cpu: 2\n        memory: 2GiB", "cpu: 4\n        memory: 3GiB"
    )
    + CACHE
)
STABLE = ("uuid", "name", "numVCPU", "mem", "tags", "description", "state")


@dataclass
class Applied:
    box: Sandbox
    reviewed: Reviewed
    apply_output: str
    apply_exit: int
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Applied]:
    root = tmp_path_factory.mktemp("apply")
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        box = Sandbox(root / "project", sim, cli_config)
        box.write_manifest("shop", SHOP)
        box.synth()
        box.apply("shop")
        box.write_manifest("shop", CHANGED)
        reviewed = plan_and_review(box, "plans", "--allow-data-loss")
        assert reviewed.plan_exit == 0, reviewed.plan_output
        before = box.vms()
        result = cli(box, "apply", str(reviewed.directory))
        yield Applied(box, reviewed, result.output, result.exit_code, before, box.vms())


def _stable(vm: dict[str, Any]) -> dict[str, Any]:
    return {key: vm.get(key) for key in STABLE}


def test_apply_changes_exactly_what_the_review_showed(applied: Applied) -> None:
    assert applied.apply_exit == 0, applied.apply_output
    shop = applied.reviewed.stack("shop")
    by_action: dict[str, set[str]] = {}
    for vm in shop["vms"]:
        by_action.setdefault(vm["action"], set()).add(vm["name"])
    assert set(applied.after) - set(applied.before) == by_action["create"] == {"cache"}
    assert set(applied.before) - set(applied.after) == by_action["delete"] == {"db"}
    web = next(vm for vm in shop["vms"] if vm["name"] == "web")
    shown = {a["label"]: a["after"] for c in web["changes"] for a in c["attributes"]}
    assert shown == {"vCPUs": "4", "memory": "3 GiB"}
    assert (applied.after["web"]["numVCPU"], applied.after["web"]["mem"]) == (4, 3 * 1024**3)
    assert applied.after["web"]["uuid"] == applied.before["web"]["uuid"]
    untouched = set(applied.before) - {"web", "db"}
    assert {n: _stable(applied.after[n]) for n in untouched} == {
        n: _stable(applied.before[n]) for n in untouched
    }
    counts = shop["counts"]
    closing = f"Apply complete! Resources: {counts['add']} added, {counts['change']} changed, {counts['destroy']} destroyed."
    assert closing in applied.apply_output


def test_plan_after_apply_has_no_changes(applied: Applied) -> None:
    again = plan_and_review(applied.box, "again")
    assert again.plan_exit == 0
    assert again.data["stacks"][0]["has_changes"] is False
    assert again.review_exit == 0


def test_apply_of_an_applied_plan_is_refused(applied: Applied) -> None:
    result = cli(applied.box, "apply", str(applied.reviewed.directory))
    assert result.exit_code == 1
    assert "applied already" in result.output


def test_apply_refuses_a_stale_plan_and_changes_nothing(applied: Applied) -> None:
    box = applied.box
    box.write_manifest("shop", CHANGED.replace("tags: [web]", "tags: [web, stale]"))
    first, second = plan(box, "stale-1"), plan(box, "stale-2")
    assert first.exit_code == second.exit_code == 0
    assert cli(box, "apply", str(box.root / "stale-2")).exit_code == 0
    before = box.vms()
    result = cli(box, "apply", str(box.root / "stale-1"))
    assert result.exit_code == 1
    assert "stale" in result.output and "Nothing was changed" in " ".join(result.output.split())
    assert {n: _stable(v) for n, v in box.vms().items()} == {n: _stable(v) for n, v in before.items()}


def test_apply_refuses_a_plan_whose_terraform_json_changed_since(applied: Applied) -> None:
    box = applied.box
    box.write_manifest("shop", CHANGED.replace("cpu: 1", "cpu: 2"))
    assert plan(box, "changed").exit_code == 0
    box.write_manifest("shop", CHANGED.replace("cpu: 1", "cpu: 3"))
    box.synth()
    before = box.vms()
    result = cli(box, "apply", str(box.root / "changed"))
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "refused: nothing was applied" in flat and "is not the one that was planned" in flat
    assert box.vms()["cache"]["numVCPU"] == before["cache"]["numVCPU"] == 1


def test_apply_refuses_a_plan_the_guard_refused(applied: Applied) -> None:
    box = applied.box
    index_path = applied.reviewed.directory.parent / "refused-copy"
    # A refused plan directory, written by hand from the applied one: status refused, no tfplan.
    index_path.mkdir()
    data = json.loads((applied.reviewed.directory / "manifest.json").read_text())
    data["stacks"]["shop"].update(status="refused", applied=None, message="refused: test")
    (index_path / "manifest.json").write_text(json.dumps(data))
    result = cli(box, "apply", str(index_path))
    assert result.exit_code == 1
    assert "the plan was refused" in result.output
