"""``fleetform import`` against the simulator, then real Terraform: VMs made through the REST API (as the
HyperCore UI or a script would) are adopted with a plan that only imports, and apply leaves nothing to do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from importsupport import GiB, RestCluster, import_runner
from support.sandbox import TEMPLATES, Sandbox, changes
from typer.testing import CliRunner

from fleetform.cli import app
from fleetform.simulator.testing import run_in_thread

SHOP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
    - type: virdomain
      name: legacy-shop
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: bios
        state: shutoff
"""


@dataclass
class Imported:
    box: Sandbox
    cluster: RestCluster
    uuids: dict[str, str]
    result: Result
    plan: dict[str, Any]
    second_plan_exit: int

    @property
    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.box.manifests / "legacy.imports.json").read_text())
        return data


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Imported]:
    """VMs clicked together on the cluster, a fleetform app deployed next to them, one import, plan, apply."""
    root = tmp_path_factory.mktemp("import")
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        box = Sandbox(root / "project", sim, cli_config)
        box.write_manifest("shop", SHOP)
        box.synth()
        box.apply("shop")  # legacy-shop is now managed by the stack 'shop'
        cluster = RestCluster(sim)
        uuids = {
            "legacy-web": cluster.create_vm(
                "legacy-web",
                description="Front end: ${HOME} {{ not a template }}",
                tags="web,prod",
                disks=[
                    ("os", "VIRTIO_DISK", 50 * GiB),
                    ("data", "VIRTIO_DISK", 20 * 10**9),
                    ("cd", "IDE_CDROM", 0),
                ],
                nics=[("web", "VIRTIO", 20), ("pub", "VIRTIO", 10)],
                boot=["os", "pub", "web"],  # boot disk, then the NICs by network name: public-net, web-net
            ),
            "legacy-db": cluster.create_vm(
                "legacy-db",
                machine="bios",
                mem=4 * GiB,
                disks=[("os", "VIRTIO_DISK", 10 * GiB)],
                nics=[("db", "VIRTIO", 40)],
                running=False,  # no bootDevices at all
                snapshotScheduleUUID=cluster.create_schedule("legacy-nightly"),  # no x-fleetform: kept as is
            ),
            "legacy-dc": cluster.create_vm(
                "legacy-dc",
                machine="tpm",
                numVCPU=4,
                disks=[("os", "VIRTIO_DISK", 1 * GiB)],
                nics=[("lan", "VIRTIO", 50)],
                boot=["lan", "os"],  # a NIC first: a manifest cannot say this
            ),
            "legacy-twin": cluster.create_vm(
                "legacy-twin",
                # A flash priority other than the provider's default (tiering factor 8): kept as is.
                blockDevs=[
                    {"uuid": "os", "type": "VIRTIO_DISK", "capacity": 10 * GiB, "tieringPriorityFactor": 16}
                ],
                nics=[("a", "VIRTIO", 30), ("b", "VIRTIO", 30)],
            ),
            "legacy web 2": cluster.create_vm("legacy web 2"),
            "legacy-paused": cluster.create_vm("legacy-paused"),
        }
        cluster.action(uuids["legacy-paused"], "PAUSE")
        result = import_runner(sim, box.root)("--app", "legacy", "--match", "legacy*")
        assert result.exit_code == 0, result.output
        box.synth()
        plan = box.plan_json("legacy")
        box.apply("legacy")
        yield Imported(box, cluster, uuids, result, plan, box.plan_exit("legacy"))


def test_plan_of_imported_vms_imports_everything_and_changes_nothing(imported: Imported) -> None:
    importing = [rc for rc in imported.plan["resource_changes"] if rc["change"].get("importing")]
    assert len(importing) == len(imported.record["imports"]) == 20
    assert changes(imported.plan) == {}  # 0 to add, 0 to change, 0 to destroy


def test_second_plan_after_apply_has_no_changes(imported: Imported) -> None:
    assert imported.second_plan_exit == 0


def test_validate_accepts_the_written_manifest(imported: Imported) -> None:
    box = imported.box
    result = CliRunner().invoke(
        app, ["validate", "--config", str(box.config), str(box.manifests / "legacy.yaml")]
    )
    assert result.exit_code == 0, result.output


def test_imports_name_vms_disks_and_nics_by_manifest_names(imported: Imported) -> None:
    web = imported.uuids["legacy-web"]
    imports = imported.record["imports"]
    assert imports["hypercore_vm.legacy-web"] == web
    assert imports["hypercore_disk.legacy-web__disk-1"] == f"{web}:VIRTIO_DISK:1"
    assert imports["hypercore_disk.legacy-web__cdrom-0"] == f"{web}:IDE_CDROM:0"
    assert imports["hypercore_nic.legacy-web__public-net"] == f"{web}:VIRTIO:10"
    assert imported.record["cluster"] is None


def test_boot_order_is_managed_only_where_a_manifest_can_express_it(imported: Imported) -> None:
    imports = imported.record["imports"]
    assert "hypercore_vm_boot_order.legacy-web" in imports
    assert "hypercore_vm_boot_order.legacy-db" not in imports  # the VM has none
    assert "hypercore_vm_boot_order.legacy-dc" not in imports  # a NIC boots first
    assert "legacy-dc: boot order [NIC domain-net, disk-0] is left on the VM" in _flat(imported.result.output)


def test_vm_managed_by_another_stack_is_skipped_and_named(imported: Imported) -> None:
    assert "legacy-shop: it is already managed by stack 'shop'" in _flat(imported.result.output)
    assert "hypercore_vm.legacy-shop" not in imported.record["imports"]


def test_second_nic_on_the_same_vlan_stays_unmanaged_and_is_said(imported: Imported) -> None:
    imports = imported.record["imports"]
    assert [a for a in imports if a.startswith("hypercore_nic.legacy-twin")] == [
        "hypercore_nic.legacy-twin__app-net"
    ]
    assert "cannot tell them apart" in imported.result.output
    assert len(imported.cluster.vm(imported.uuids["legacy-twin"])["netDevs"]) == 2  # apply removed nothing


def test_name_that_is_not_a_manifest_name_is_skipped_with_a_new_name(imported: Imported) -> None:
    assert "legacy web 2: its name is not a valid manifest name" in _flat(imported.result.output)
    assert "'legacy-web-2'" in _flat(imported.result.output)


def test_paused_vm_is_skipped(imported: Imported) -> None:
    assert "legacy-paused: it is PAUSED" in _flat(imported.result.output)


def test_what_cannot_be_recovered_is_said(imported: Imported) -> None:
    output = _flat(imported.result.output)
    assert "the image each disk was copied from" in output and "cloud-init data" in output


def test_reimport_with_force_sees_its_own_stack_as_its_own(imported: Imported) -> None:
    box = imported.box
    before = (box.manifests / "legacy.imports.json").read_text()
    result = import_runner(box.simulator, box.root)("--app", "legacy", "--match", "legacy*", "--force")
    assert result.exit_code == 0, result.output
    assert (box.manifests / "legacy.imports.json").read_text() == before


def test_existing_manifest_is_not_replaced_without_force(imported: Imported) -> None:
    box = imported.box
    before = (box.manifests / "legacy.yaml").read_text()
    result = import_runner(box.simulator, box.root)("--app", "legacy", "--match", "legacy-db")
    assert result.exit_code == 1
    assert "already exists; pass --force" in _flat(result.output)
    assert (box.manifests / "legacy.yaml").read_text() == before


def _flat(text: str) -> str:
    """CLI output with Rich's line wrapping undone."""
    return " ".join(text.split())


def test_reimport_that_would_drop_a_managed_vm_is_refused(imported: Imported) -> None:
    box = imported.box
    before = (box.manifests / "legacy.yaml").read_text()
    result = import_runner(box.simulator, box.root)("--app", "legacy", "--match", "legacy-db", "--force")
    assert result.exit_code == 1
    assert "which this import leaves out: the next plan would destroy them" in _flat(result.output)
    assert (box.manifests / "legacy.yaml").read_text() == before
