"""The generated provider bindings: in sync with the schema, and synthesizing what Terraform expects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fleetform._cdktf import TerraformStack
from fleetform._cdktf import Testing as CdkTesting
from fleetform.providers.hypercore import (
    DataHypercoreVms,
    Disk,
    HypercoreProvider,
    Vm,
    VmAffinityStrategy,
    VmClone,
    VmPowerState,
    VmSnapshotSchedule,
    VmSnapshotScheduleRules,
)
from fleetform.synth.schema_check import check_stack, load_provider_schema

ROOT = Path(__file__).resolve().parents[2]


def synth(stack: TerraformStack) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CdkTesting.synth(stack))
    return data


def test_generator_rerun_gives_no_diff() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_bindings.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generator_writes_one_module_per_resource_and_data_source(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_bindings.py"), "--out", str(tmp_path)], check=True
    )
    schema = load_provider_schema()
    expected = {t.removeprefix("hypercore_") + ".py" for t in schema["resource_schemas"]}
    expected |= {f"data_{t}.py" for t in schema["data_source_schemas"]}
    bindings = tmp_path / "fleetform" / "providers" / "hypercore"
    assert expected | {"provider.py", "_runtime.py", "__init__.py"} == {p.name for p in bindings.iterdir()}
    reexports = tmp_path / "providers" / "hypercore"
    assert expected | {"provider.py", "__init__.py"} == {p.name for p in reexports.iterdir()}


def test_codemaker_output_reexports_the_same_classes_as_the_package() -> None:
    """cdktf users of this project import from ``providers`` (cdktf.json codeMakerOutput) and get the very
    classes fleetform's constructs use."""
    assert json.loads((ROOT / "cdktf.json").read_text())["codeMakerOutput"] == "providers"
    script = (
        "import providers.hypercore.vm as a, fleetform.providers.hypercore.vm as b; "
        "import providers.hypercore as c, fleetform.providers.hypercore as d; "
        "assert a.Vm is b.Vm and a.VmClone is b.VmClone and c.Disk is d.Disk; "
        "print(sorted(a.__all__))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "'Vm'" in run.stdout


def test_vm_binding_synthesizes_typed_attributes_and_nested_objects() -> None:
    stack = TerraformStack(CdkTesting.app(), "t")
    HypercoreProvider(stack, "hypercore")
    template = DataHypercoreVms(stack, "tpl", name="template-uefi")
    Vm(
        stack,
        "web",
        name="web",
        vcpu=2,
        memory=4096,
        tags=["a"],
        affinity_strategy=VmAffinityStrategy(),
        clone=VmClone(source_vm_uuid=template.vms.get(0).uuid, user_data="#cloud-config\n"),
    )
    data = synth(stack)
    vm = data["resource"]["hypercore_vm"]["web"]
    assert vm["vcpu"] == 2 and vm["memory"] == 4096 and vm["tags"] == ["a"]
    assert vm["affinity_strategy"] == {}
    assert vm["clone"] == {
        "source_vm_uuid": "${data.hypercore_vms.tpl.vms[0].uuid}",
        "user_data": "#cloud-config\n",
    }
    assert check_stack(data, load_provider_schema()) == []


def test_references_point_at_the_resource_address() -> None:
    stack = TerraformStack(CdkTesting.app(), "t")
    HypercoreProvider(stack, "hypercore")
    vm = Vm(stack, "web", name="web")
    disk = Disk(stack, "disk", vm_uuid=vm.id, type="VIRTIO_DISK", size=10)
    power = VmPowerState(stack, "power", vm_uuid=vm.id, state="RUNNING", depends_on=[disk])
    data = synth(stack)
    assert data["resource"]["hypercore_disk"]["disk"]["vm_uuid"] == "${hypercore_vm.web.id}"
    assert data["resource"]["hypercore_vm_power_state"]["power"]["depends_on"] == ["hypercore_disk.disk"]
    assert power.vm.nics.get(1).vlan  # a token for vm.nics[1].vlan, resolvable at synth


def test_import_attribute_keeps_its_terraform_name() -> None:
    stack = TerraformStack(CdkTesting.app(), "t")
    HypercoreProvider(stack, "hypercore")
    schedule = VmSnapshotSchedule(
        stack,
        "daily",
        name="daily",
        rules=[
            VmSnapshotScheduleRules(
                name="r",
                start_timestamp="2026-01-01 00:00:00",
                frequency="FREQ=DAILY",
                local_retention_seconds=86400,
            )
        ],
    )
    vm = Vm(stack, "web", name="web", snapshot_schedule_uuid=schedule.id)
    vm.vcpu = 4
    data = synth(stack)
    assert (
        data["resource"]["hypercore_vm_snapshot_schedule"]["daily"]["rules"][0]["frequency"] == "FREQ=DAILY"
    )
    assert data["resource"]["hypercore_vm"]["web"]["vcpu"] == 4
    assert vm.vcpu_input == 4
    assert check_stack(data, load_provider_schema()) == []


def test_provider_carries_source_constraint_and_alias() -> None:
    stack = TerraformStack(CdkTesting.app(), "t")
    HypercoreProvider(stack, "hypercore", alias="site2", timeout=600)
    data = synth(stack)
    assert data["terraform"]["required_providers"]["hypercore"] == {
        "source": "scalecomputing/hypercore",
        "version": "~> 1.4",
    }
    assert data["provider"]["hypercore"] == [{"alias": "site2", "timeout": 600}]


def test_schema_check_reports_unknown_missing_and_mistyped_attributes() -> None:
    stack = {
        "resource": {
            "hypercore_vm": {"a": {"vcpu": "two", "machine_type": "uefi"}},
            "hypercore_disk": {"b": {"vm_uuid": "${hypercore_vm.a.id}", "slot": 1}},
        }
    }
    problems = check_stack(stack, load_provider_schema())
    assert "hypercore_vm.a: unknown attribute 'machine_type'" in problems
    assert "hypercore_vm.a: required attribute 'name' is missing" in problems
    assert 'hypercore_vm.a.vcpu: expected number, got "two"' in problems
    assert "hypercore_disk.b: 'slot' is computed and cannot be set" in problems
