"""Real plans against the simulator, reviewed: an update in place, an added VM, a removed VM with a data disk,
an import, and a stack whose manifest was deleted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from reviewsupport import Reviewed, cli, create_vm, plan, plan_and_review
from support.sandbox import TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread
from fleetform.synth.synthesize import synthesize

SECRET = "S3cret-Value-42"
PLAINTEXT_OLD = "hunter2-old-pass"
PLAINTEXT_NEW = "hunter2-new-pass"

SHOP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  assets:
    - {name: base, type: virtual_disk, format: raw, url: "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-web.img"}
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
          - {name: system, type: virtio_disk, source: base, boot: 1, capacity: 20GiB}
        network_devices:
          - {name: web-net, type: virtio}
        cloud_init_data:
          user_data: |
            #cloud-config
            hostname: web
            chpasswd: {expire: false}
            runcmd:
              - echo 'root:PLAINTEXT' | chpasswd
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
        cloud_init_data:
          user_data: |
            #cloud-config
            write_files:
              - path: /etc/db.conf
                content: "password={{ secret("db_password") }}"
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
OLD = """\
type: Application
version: "1.0.0"
metadata:
  name: old
spec:
  resources:
    - type: virdomain
      name: old-vm
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
"""


def shop(*, changed: bool) -> str:
    if not changed:
        return SHOP.replace("PLAINTEXT", PLAINTEXT_OLD)
    web, _ = SHOP.split("    - type: virdomain\n      name: db\n")
    web = web.replace("cpu: 2\n        memory: 2GiB", "cpu: 4\n        memory: 3GiB").replace(
        "PLAINTEXT", PLAINTEXT_NEW
    )
    return web + CACHE  # db is gone


@dataclass
class Scenario:
    box: Sandbox
    refused: Reviewed
    reviewed: Reviewed
    imports_only: Reviewed


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("review")
    env = {"TF_VAR_secret_db_password": SECRET}
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        box = Sandbox(root / "project", sim, cli_config)
        box.write_manifest("shop", shop(changed=False))
        box.write_manifest("old", OLD)
        box.synth()
        box.apply("shop", **env)
        box.apply("old")
        create_vm(box, "legacy-vm")
        imported = cli(
            box,
            "import",
            "--config",
            str(box.config),
            "--manifests",
            str(box.manifests),
            "--app",
            "legacy",
            "--match",
            "legacy*",
        )
        assert imported.exit_code == 0, imported.output
        box.write_manifest("shop", shop(changed=True))
        (box.manifests / "old.yaml").unlink()
        refused = plan_and_review(box, "refused", **env)
        reviewed = plan_and_review(box, "plans", "--allow-data-loss", **env)
        imports_only = plan_and_review(box, "imports", "--stacks", "legacy", **env)
        yield Scenario(box, refused, reviewed, imports_only)


# --- fleetform plan --------------------------------------------------------------------------------------


def test_plan_refuses_to_destroy_a_data_disk_of_a_removed_vm(scenario: Scenario) -> None:
    refused = scenario.refused
    assert refused.plan_exit == 1
    entry = refused.index()["stacks"]["shop"]
    assert entry["status"] == "refused"
    assert [r["address"] for r in entry["refusals"]] == ["hypercore_disk.db__data"]
    flat = " ".join(refused.plan_output.split())
    assert "data disk 'data'" in flat and "VM 'db'" in flat and "--allow-data-loss" in flat
    assert not (refused.directory / "shop" / "tfplan").exists()
    assert (refused.directory / "shop" / "plan.json").is_file()


def test_plan_with_allow_data_loss_saves_every_stack(scenario: Scenario) -> None:
    reviewed = scenario.reviewed
    assert reviewed.plan_exit == 0, reviewed.plan_output
    index = reviewed.index()
    assert sorted(index["stacks"]) == ["legacy", "old", "shop"]
    for name, entry in index["stacks"].items():
        assert entry["status"] == "planned", name
        for file in ("tfplan", "plan.json", "plan.txt"):
            assert (reviewed.directory / name / file).is_file(), (name, file)


def test_orphan_stack_is_found_from_its_state_and_planned_for_destruction(scenario: Scenario) -> None:
    entry = scenario.reviewed.index()["stacks"]["old"]
    assert entry["orphan"] is True and entry["manifest"].endswith("manifests/old.yaml")
    plan_json = json.loads((scenario.reviewed.directory / "old" / "plan.json").read_text())
    actions = {rc["address"]: rc["change"]["actions"] for rc in plan_json["resource_changes"]}
    assert actions["hypercore_vm.old-vm"] == ["delete"]
    assert all(a == ["delete"] for a in actions.values())


def test_orphan_stack_is_flagged_loudly(scenario: Scenario) -> None:
    reviewed = scenario.reviewed
    assert "`old` **(manifest deleted)**" in reviewed.markdown
    kinds = [d["kind"] for d in reviewed.data["dangers"] if d["stack"] == "old"]
    assert "stack-orphan" in kinds and "vm-destroyed" in kinds


# --- fleetform review --------------------------------------------------------------------------------------


def test_review_of_a_refused_plan_shows_the_refusal_and_exits_2(scenario: Scenario) -> None:
    refused = scenario.refused
    assert refused.review_exit == 2
    assert "🛑 refused: data loss" in refused.markdown
    assert refused.data["dangers"][0]["kind"] == "stack-refused"


def test_review_puts_the_summary_first_then_dangers_then_details(scenario: Scenario) -> None:
    text = scenario.reviewed.markdown
    positions = [
        text.index(s) for s in ("| stack | add |", "### 🛑 Dangerous changes", "### Changes by stack")
    ]
    assert positions == sorted(positions)
    assert text.startswith("<!-- fleetform-review -->")


def test_review_lists_the_data_disk_first_and_loudly(scenario: Scenario) -> None:
    dangers = scenario.reviewed.data["dangers"]
    first_disk = next(d for d in dangers if d["kind"].startswith(("data-disk", "disk", "vm")))
    assert first_disk["kind"] == "data-disk-destroyed" and first_disk["address"] == "hypercore_disk.db__data"
    assert (
        "🛑💾 `shop`: **DATA DISK** `data` (21.5 GB (20.0 GiB)) of VM `db` is destroyed"
        in scenario.reviewed.markdown
    )


def test_review_summary_counts_each_kind_of_change(scenario: Scenario) -> None:
    shop = scenario.reviewed.stack("shop")["counts"]
    assert shop["add"] == 5  # cache: VM, disk, NIC, boot order, power state
    assert shop["destroy"] == 6  # db: VM, two disks, NIC, boot order, power state
    assert shop["change"] >= 1
    assert scenario.reviewed.stack("legacy")["counts"]["import"] >= 2


def test_update_in_place_is_shown_in_gib_and_labelled_power_cycle(scenario: Scenario) -> None:
    web = next(vm for vm in scenario.reviewed.stack("shop")["vms"] if vm["name"] == "web")
    attributes = {a["label"]: a for c in web["changes"] for a in c["attributes"]}
    assert (attributes["memory"]["before"], attributes["memory"]["after"]) == ("2 GiB", "3 GiB")
    assert (attributes["vCPUs"]["before"], attributes["vCPUs"]["after"]) == ("2", "4")
    assert attributes["memory"]["effect"] == "power-cycle"
    assert (
        "| memory | 2 GiB | 3 GiB | in place; takes effect after a power cycle |"
        in scenario.reviewed.markdown
    )


def test_cloud_init_change_is_labelled_ignored_with_a_rebuild_hint(scenario: Scenario) -> None:
    attention = [a for a in scenario.reviewed.data["attention"] if a["kind"] == "ignored"]
    assert [a["address"] for a in attention] == ["hypercore_vm.web"]
    assert "--replace hypercore_vm.web" in attention[0]["hint"]
    assert "replace_triggered_by" in attention[0]["hint"]


def test_added_vm_shows_sizes_in_gb_and_gib_and_vlan_names(scenario: Scenario) -> None:
    cache = next(vm for vm in scenario.reviewed.stack("shop")["vms"] if vm["name"] == "cache")
    assert cache["action"] == "create"
    shown = {c["subject"]: {a["label"]: a["after"] for a in c["attributes"]} for c in cache["changes"]}
    assert shown["disk system"]["size"] == "10.7 GB (10.0 GiB)"
    assert shown["NIC app-net"]["VLAN"] == "30 (app-net)"
    assert shown["VM cache"]["memory"] == "1 GiB"


def test_import_is_counted_and_shows_the_imported_id(scenario: Scenario) -> None:
    legacy = scenario.reviewed.stack("legacy")
    vm = legacy["vms"][0]
    assert vm["action"] == "import"
    assert any(c["importing_id"] for c in vm["changes"])
    assert "imported (id `" in scenario.reviewed.markdown


def test_secret_variable_value_never_appears_in_the_review(scenario: Scenario) -> None:
    for reviewed in (scenario.refused, scenario.reviewed):
        assert SECRET not in reviewed.markdown
        assert SECRET not in json.dumps(reviewed.data)
    # Nor does the saved plan.json (Terraform writes variable values in the clear; fleetform redacts them), and
    # the plan directory, whose binary tfplan must keep them to apply, is private.
    for reviewed in (scenario.refused, scenario.reviewed):
        for path in reviewed.directory.glob("*/plan.json"):
            assert SECRET not in path.read_text()
        assert reviewed.directory.stat().st_mode & 0o777 == 0o700
        assert all(p.stat().st_mode & 0o077 == 0 for p in reviewed.directory.iterdir() if p.is_dir())
    plan = json.loads((scenario.reviewed.directory / "shop" / "plan.json").read_text())
    assert "(sensitive)" in json.dumps(plan["resource_changes"])


def test_cloud_init_secret_lines_are_masked(scenario: Scenario) -> None:
    for text in (scenario.reviewed.markdown, json.dumps(scenario.reviewed.data)):
        assert PLAINTEXT_OLD not in text and PLAINTEXT_NEW not in text
    assert "•••• (hidden: looks like a password)" in scenario.reviewed.markdown


def test_review_exit_code_is_2_for_dangerous_changes_and_0_otherwise(scenario: Scenario) -> None:
    assert scenario.reviewed.review_exit == 2 and scenario.reviewed.data["exit_code"] == 2
    assert scenario.imports_only.review_exit == 0, scenario.imports_only.markdown
    assert scenario.imports_only.data["dangerous"] is False


def test_review_embeds_the_diagram_with_changes_highlighted(scenario: Scenario) -> None:
    text = scenario.reviewed.markdown
    block = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert block is not None
    assert "classDef create" in block.group(1) and "classDef delete" in block.group(1)


def test_review_json_carries_the_same_facts_as_the_markdown(scenario: Scenario) -> None:
    data = scenario.reviewed.data
    assert data["schema"] == "fleetform-review/1"
    assert data["totals"]["destroy"] == sum(s["counts"]["destroy"] for s in data["stacks"])
    for danger in data["dangers"]:
        assert danger["message"].split(":")[0] in scenario.reviewed.markdown


# --- protection through prevent_destroy, and rebuilds ----------------------------------------------------


@contextmanager
def deployed_manifests(box: Sandbox) -> Iterator[None]:
    """The manifests as deployed (before the change under review), for the ``with`` block."""
    box.write_manifest("shop", shop(changed=False))
    try:
        yield
    finally:
        box.write_manifest("shop", shop(changed=True))


def test_replacing_a_protected_data_disk_fails_with_a_clear_message(scenario: Scenario) -> None:
    box = scenario.box
    with deployed_manifests(box):
        result = plan(
            box,
            "replace-disk",
            "--stacks",
            "shop",
            "--replace",
            "hypercore_disk.db__data",
            TF_VAR_secret_db_password=SECRET,
        )
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "the plan would destroy data disk 'data' of VM 'db' (hypercore_disk.db__data)" in flat
    assert "--allow-data-loss" in flat and "allow_data_loss: true" in flat
    entry = json.loads((box.root / "replace-disk" / "manifest.json").read_text())["stacks"]["shop"]
    assert entry["status"] == "refused"
    reviewed = cli(box, "review", str(box.root / "replace-disk"))
    assert reviewed.exit_code == 2 and "prevent_destroy" in reviewed.stdout


def test_rebuilding_a_vm_with_a_data_disk_is_refused_too(scenario: Scenario) -> None:
    """prevent_destroy cannot see this one: Terraform shows the disks of a replaced VM as updates."""
    box = scenario.box
    with deployed_manifests(box):
        refused = plan_and_review(
            box,
            "rebuild",
            "--stacks",
            "shop",
            "--replace",
            "hypercore_vm.db",
            TF_VAR_secret_db_password=SECRET,
        )
        allowed = plan_and_review(
            box,
            "rebuild-ok",
            "--stacks",
            "shop",
            "--replace",
            "shop:hypercore_vm.db",
            "--allow-data-loss",
            TF_VAR_secret_db_password=SECRET,
        )
    assert refused.plan_exit == 1
    assert [r["why"] for r in refused.index()["stacks"]["shop"]["refusals"]] == [
        "its VM is replaced: HyperCore deletes a VM's disks with it"
    ]
    assert allowed.plan_exit == 0
    kinds = [d["kind"] for d in allowed.data["dangers"]]
    assert kinds[:2] == ["data-disk-lost", "vm-replaced"]
    assert "lost with its VM" in allowed.markdown


def test_replace_of_an_unknown_address_is_an_error(scenario: Scenario) -> None:
    result = plan(scenario.box, "nothing", "--replace", "hypercore_vm.nope")
    assert result.exit_code == 1 and "no planned stack has resource 'hypercore_vm.nope'" in result.output


def test_list_gives_the_changed_and_removed_stacks_as_a_job_matrix(scenario: Scenario) -> None:
    box = scenario.box
    base_manifests = box.root / "base-manifests"
    base_manifests.mkdir()
    (base_manifests / "shop.yaml").write_text(shop(changed=False))
    (base_manifests / "old.yaml").write_text(OLD)
    synthesize([base_manifests], config_path=box.config, outdir=box.root / "base.out")
    result = cli(
        box,
        "plan",
        "--manifests",
        str(box.manifests),
        "--config",
        str(box.config),
        "--synth-dir",
        str(box.outdir),
        "--changed-from",
        str(box.root / "base.out"),
        "--list",
        "--max-jobs",
        "2",
    )
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)
    assert len(groups) == 2
    assert sorted(name for group in groups for name in group.split(",")) == ["legacy", "old", "shop"]


def test_manifest_can_allow_removing_a_data_disk_and_review_warns_it_fails_on_a_running_vm(
    scenario: Scenario,
) -> None:
    box = scenario.box
    text = shop(changed=False)
    without_data = text.replace("          - {name: data, type: virtio_disk, capacity: 20GiB}\n", "").replace(
        "      name: db\n", "      name: db\n      x-fleetform: {allow_data_loss: true}\n"
    )
    assert without_data != text
    with deployed_manifests(box):
        box.write_manifest("shop", without_data)
        reviewed = plan_and_review(box, "drop-disk", "--stacks", "shop", TF_VAR_secret_db_password=SECRET)
    assert reviewed.plan_exit == 0, reviewed.plan_output
    assert reviewed.index()["stacks"]["shop"]["status"] == "planned"
    assert [d["kind"] for d in reviewed.data["dangers"]] == ["data-disk-destroyed"]
    fails = [a for a in reviewed.data["attention"] if a["kind"] == "fails"]
    assert [a["address"] for a in fails] == ["hypercore_disk.db__data"] and "Still in use" in fails[0][
        "message"
    ]
