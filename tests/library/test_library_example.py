"""``examples/library_app``: a cdktf app built from the constructs alone synthesizes a valid stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fleetform.synth.schema_check import check_stack, load_provider_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "library_app"
ENV = {
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CHECKPOINT_DISABLE": "1",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example's stack JSON, from running its main.py as cdktf would."""
    out = tmp_path_factory.mktemp("library") / "cdktf.out"
    run = subprocess.run(
        [sys.executable, "main.py"],
        cwd=EXAMPLE,
        env=dict(os.environ, **ENV, CDKTF_OUTDIR=str(out)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    data: dict[str, Any] = json.loads((out / "stacks" / "library-app" / "cdk.tf.json").read_text())
    return data


def test_example_stack_passes_provider_schema_check(stack: dict[str, Any]) -> None:
    assert check_stack(stack, load_provider_schema()) == []


def test_example_has_application_vms_and_standalone_vm(stack: dict[str, Any]) -> None:
    assert sorted(stack["resource"]["hypercore_vm"]) == ["jumphost", "shop-db", "shop-web"]
    assert stack["provider"]["hypercore"] == [{}]


def test_example_application_vm_clones_template_looked_up_by_name(stack: dict[str, Any]) -> None:
    web = stack["resource"]["hypercore_vm"]["shop-web"]
    assert web["clone"]["source_vm_uuid"] == "${data.hypercore_vms.template-uefi.vms[0].uuid}"
    assert web["clone"]["user_data"].startswith("#cloud-config\n")
    assert stack["data"]["hypercore_vms"]["template-uefi"]["name"] == "fleetform-template-uefi"


def test_example_application_vm_with_explicit_template_uuid_is_cloned_from_it(stack: dict[str, Any]) -> None:
    db = stack["resource"]["hypercore_vm"]["shop-db"]
    assert db["clone"]["source_vm_uuid"] == "7b3f7c1e-5d2a-4a8e-9c1b-2f6e8d4a9b10"
    assert stack["resource"]["hypercore_disk"]["shop-db__data"]["lifecycle"] == {"prevent_destroy": True}


def test_example_shares_one_image_between_both_application_vms(stack: dict[str, Any]) -> None:
    assert stack["resource"]["hypercore_virtual_disk"]["ubuntu"]["name"] == "ubuntu.qcow2"
    disks = stack["resource"]["hypercore_disk"]
    for vm in ("shop-web", "shop-db"):
        assert disks[f"{vm}__os"]["source_virtual_disk_id"] == "${hypercore_virtual_disk.ubuntu.id}"


def test_example_standalone_vm_uses_data_source_template_and_standalone_iso(stack: dict[str, Any]) -> None:
    jump = stack["resource"]["hypercore_vm"]["jumphost"]
    assert jump["clone"]["source_vm_uuid"] == "${data.hypercore_vms.golden.vms[0].uuid}"
    assert (
        stack["resource"]["hypercore_disk"]["jumphost__tools"]["iso_uuid"] == "${hypercore_iso.tools-iso.id}"
    )
    assert stack["resource"]["hypercore_vm_power_state"]["jumphost"]["state"] == "SHUTOFF"


def test_example_start_after_orders_power_on(stack: dict[str, Any]) -> None:
    web = stack["resource"]["hypercore_vm_power_state"]["shop-web"]
    assert "hypercore_vm_power_state.shop-db" in web["depends_on"]


def test_example_escape_hatch_and_outputs_reach_the_json(stack: dict[str, Any]) -> None:
    db = stack["resource"]["hypercore_vm"]["shop-db"]
    assert db["snapshot_schedule_uuid"] == "${hypercore_vm_snapshot_schedule.nightly.id}"
    assert stack["output"]["jumphost_uuid"]["value"] == "${hypercore_vm.jumphost.id}"


def test_example_add_override_on_a_vm_shows_up_in_the_json(stack: dict[str, Any]) -> None:
    web = stack["resource"]["hypercore_vm"]["shop-web"]
    assert web["lifecycle"] == {"ignore_changes": ["tags"]}
    assert web["tags"] == ["shop", "web"]
    assert "hypercore_vm" in stack["//"]["metadata"]["overrides"]


def test_example_synthesizes_with_the_cdktf_cli(tmp_path: Path) -> None:
    """cdktf.json runs `python3 main.py`: with the project venv first on PATH, the pinned CLI synthesizes it."""
    env = dict(os.environ, **ENV, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdktf"), "synth", "--output", str(tmp_path / "out")],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads((tmp_path / "out" / "stacks" / "library-app" / "cdk.tf.json").read_text())
    assert check_stack(data, load_provider_schema()) == []
