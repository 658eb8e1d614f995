"""``fleetform import`` outcomes that need no Terraform: what it refuses, skips and reports, and its exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from importsupport import GiB, RestCluster, import_runner
from support.sandbox import TEMPLATES, Sandbox

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path_factory.mktemp("cli-sim")) as running:
        yield running


@pytest.fixture
def box(tmp_path: Path, sim: RunningSimulator, cli_config: Path) -> Sandbox:
    return Sandbox(tmp_path / "project", sim, cli_config)


def flat(text: str) -> str:
    return " ".join(text.split())


def written(box: Sandbox) -> list[str]:
    return sorted(p.name for p in box.manifests.iterdir())


def test_no_matching_vm_is_an_error_and_writes_nothing(box: Sandbox) -> None:
    result = import_runner(box.simulator, box.root)("--app", "none", "--match", "no-such-vm-*")
    assert result.exit_code == 1
    assert "no VM on" in result.output and "matches --match no-such-vm-*" in flat(result.output)
    assert written(box) == []


def test_unmapped_vlan_is_an_error_that_gives_the_line_to_add(box: Sandbox) -> None:
    RestCluster(box.simulator).create_vm("vlan-odd", nics=[("n", "VIRTIO", 123)])
    result = import_runner(box.simulator, box.root)("--app", "odd", "--match", "vlan-odd")
    assert result.exit_code == 1
    output = flat(result.output)
    assert "VLAN 123 has no network in fleetform.yaml; NICs on it: vlan-odd" in output
    assert "add this line under networks: there: vlan-123: 123" in output
    assert written(box) == []


def test_vm_that_vanishes_during_the_import_is_skipped(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = RestCluster(box.simulator)
    keep = cluster.create_vm("vanish-keep", disks=[("os", "VIRTIO_DISK", 10 * GiB)])
    gone = cluster.create_vm("vanish-gone", running=False)
    original = HypercoreClient.get

    def get(self: HypercoreClient, path: str) -> list[dict[str, Any]]:
        if path.endswith(f"/VirDomain/{gone}"):
            cluster.delete_vm(gone)  # someone deletes it between the listing and the read
        return original(self, path)

    monkeypatch.setattr(HypercoreClient, "get", get)
    result = import_runner(box.simulator, box.root)("--app", "vanish", "--match", "vanish-*")
    assert result.exit_code == 0, result.output
    assert "vanish-gone: it disappeared from the cluster" in flat(result.output)
    imports = json.loads((box.manifests / "vanish.imports.json").read_text())["imports"]
    assert imports["hypercore_vm.vanish-keep"] == keep and "hypercore_vm.vanish-gone" not in imports


def test_vm_named_by_another_manifest_is_skipped(box: Sandbox) -> None:
    RestCluster(box.simulator).create_vm("named-elsewhere")
    RestCluster(box.simulator).create_vm("named-free")
    box.write_manifest(
        "other",
        'type: Application\nversion: "1.0.0"\nmetadata: {name: other}\nspec:\n  resources:\n'
        "    - {type: virdomain, name: named-elsewhere, spec: {cpu: 1, memory: 1GiB, machine_type: bios, "
        "state: running}}\n",
    )
    result = import_runner(box.simulator, box.root)("--app", "named", "--match", "named-*")
    assert result.exit_code == 0, result.output
    assert "named-elsewhere: it is already managed by application 'other'" in flat(result.output)


def test_vm_in_another_imports_file_is_skipped(box: Sandbox) -> None:
    uuid = RestCluster(box.simulator).create_vm("taken-one")
    RestCluster(box.simulator).create_vm("taken-two")
    first = import_runner(box.simulator, box.root)("--app", "first", "--match", "taken-one")
    assert first.exit_code == 0, first.output
    second = import_runner(box.simulator, box.root)("--app", "second", "--match", "taken-*")
    assert second.exit_code == 0, second.output
    assert "taken-one: it is already managed by application 'first'" in flat(second.output)
    imports = json.loads((box.manifests / "second.imports.json").read_text())["imports"]
    assert uuid not in imports.values()


def test_only_skipped_vms_is_an_error(box: Sandbox) -> None:
    RestCluster(box.simulator).create_vm("bad name only")
    result = import_runner(box.simulator, box.root)("--app", "bad", "--match", "bad name only")
    assert result.exit_code == 1
    assert "none of the 1 matching VMs can be imported" in flat(result.output)
    assert written(box) == []


def test_tags_select_vms_that_carry_all_of_them(box: Sandbox) -> None:
    cluster = RestCluster(box.simulator)
    cluster.create_vm("tagged-both", tags="blue,green")
    cluster.create_vm("tagged-one", tags="blue")
    result = import_runner(box.simulator, box.root)("--app", "tagged", "--tag", "blue", "--tag", "green")
    assert result.exit_code == 0, result.output
    imports = json.loads((box.manifests / "tagged.imports.json").read_text())["imports"]
    assert [a for a in imports if a.startswith("hypercore_vm.")] == ["hypercore_vm.tagged-both"]


def test_out_writes_the_manifest_and_imports_file_where_asked(box: Sandbox, tmp_path: Path) -> None:
    RestCluster(box.simulator).create_vm("outside-1")
    target = tmp_path / "elsewhere" / "outside.yaml"
    result = import_runner(box.simulator, box.root)(
        "--app", "outside", "--match", "outside-1", "--out", str(target)
    )
    assert result.exit_code == 0, result.output
    assert target.is_file() and (target.parent / "outside.imports.json").is_file()


def test_application_name_that_exists_is_refused(box: Sandbox) -> None:
    RestCluster(box.simulator).create_vm("clash-1")
    box.write_manifest(
        "mine",
        'type: Application\nversion: "1.0.0"\nmetadata: {name: clash}\nspec:\n  resources:\n'
        "    - {type: virdomain, name: other-vm, spec: {cpu: 1, memory: 1GiB, machine_type: bios, "
        "state: running}}\n",
    )
    result = import_runner(box.simulator, box.root)("--app", "clash", "--match", "clash-1")
    assert result.exit_code == 1
    assert "application 'clash' already exists in" in flat(result.output)


def test_cluster_must_be_named_when_the_site_has_several(box: Sandbox) -> None:
    box.write_site(
        clusters=[{"name": "east", "host": box.simulator.url}, {"name": "west", "host": "http://127.0.0.1:9"}]
    )
    RestCluster(box.simulator).create_vm("east-1")
    result = import_runner(box.simulator, box.root)("--app", "east", "--match", "east-1")
    assert result.exit_code == 1 and "--cluster NAME" in flat(result.output)
    result = import_runner(box.simulator, box.root)("--app", "east", "--match", "east-1", "--cluster", "east")
    assert result.exit_code == 0, result.output
    assert json.loads((box.manifests / "east.imports.json").read_text())["cluster"] == "east"


def test_unreachable_cluster_is_an_error_naming_the_host(box: Sandbox) -> None:
    from typer.testing import CliRunner

    from fleetform.cli import app

    result = CliRunner().invoke(
        app,
        ["import", "--app", "x", "--config", str(box.config), "--manifests", str(box.manifests)],
        env={"HC_HOST": "http://127.0.0.1:9", "HC_USERNAME": "u", "HC_PASSWORD": "p"},
    )
    assert result.exit_code == 1
    assert "POST /rest/v1/login on http://127.0.0.1:9 failed" in flat(result.output)
    assert "Traceback" not in result.output
