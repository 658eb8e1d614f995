"""The constructs as a library: built from props alone in a plain cdktf stack, with documented defaults."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from fleetform._cdktf import TerraformStack
from fleetform._cdktf import Testing as CdkTesting
from fleetform.constructs import (
    Application,
    ApplicationProps,
    DiskImage,
    DiskImageProps,
    DiskProps,
    NicProps,
    SnapshotRuleProps,
    SnapshotSchedule,
    SnapshotScheduleProps,
    VirtualMachine,
    VirtualMachineProps,
    props,
)
from fleetform.errors import InputError
from fleetform.providers.hypercore.data_hypercore_vms import DataHypercoreVms
from fleetform.providers.hypercore.provider import HypercoreProvider
from fleetform.synth.schema_check import check_stack, load_provider_schema

GiB = 1024**3
PROPS_SOURCE = Path(props.__file__)


def new_stack() -> TerraformStack:
    stack = TerraformStack(CdkTesting.app(), "lib")
    HypercoreProvider(stack, "hypercore")
    return stack


def synth(stack: TerraformStack) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CdkTesting.synth(stack))
    assert check_stack(data, load_provider_schema()) == []
    return data


def test_application_from_props_clones_each_machine_type_from_its_named_template() -> None:
    stack = new_stack()
    Application(
        stack,
        "app",
        props=ApplicationProps(
            name="app",
            templates={"uefi": "tpl-uefi", "bios": "tpl-bios"},
            vms=[
                VirtualMachineProps(name="a", cpu=1, memory_bytes=GiB),
                VirtualMachineProps(name="b", cpu=1, memory_bytes=GiB, machine_type="bios"),
            ],
        ),
    )
    data = synth(stack)
    assert data["data"]["hypercore_vms"] == {
        "template-bios": {"name": "tpl-bios"},
        "template-uefi": {"name": "tpl-uefi"},
    }
    vms = data["resource"]["hypercore_vm"]
    assert vms["b"]["clone"]["source_vm_uuid"] == "${data.hypercore_vms.template-bios.vms[0].uuid}"


def test_application_vm_with_explicit_template_uuid_needs_no_lookup() -> None:
    stack = new_stack()
    vm = VirtualMachineProps(name="a", cpu=1, memory_bytes=GiB, template="1234-uuid")
    Application(stack, "app", props=ApplicationProps(name="app", templates={"uefi": "tpl"}, vms=[vm]))
    data = synth(stack)
    assert "data" not in data
    assert data["resource"]["hypercore_vm"]["a"]["clone"] == {"source_vm_uuid": "1234-uuid"}


def test_application_without_templates_creates_empty_vms() -> None:
    stack = new_stack()
    Application(
        stack,
        "app",
        props=ApplicationProps(name="app", vms=[VirtualMachineProps(name="a", cpu=1, memory_bytes=GiB)]),
    )
    vm = synth(stack)["resource"]["hypercore_vm"]["a"]
    assert "clone" not in vm
    assert vm["tags"] == [""] and vm["affinity_strategy"] == {}
    assert vm["description"] == "app/a (managed by fleetform)"


def test_virtual_machine_alone_in_a_stack_clones_a_data_source_template() -> None:
    stack = new_stack()
    golden = DataHypercoreVms(stack, "golden", name="golden")
    VirtualMachine(
        stack,
        "solo",
        props=VirtualMachineProps(
            name="solo",
            cpu=2,
            memory_bytes=2 * GiB,
            template=golden.vms.get(0).uuid,
            disks=[DiskProps(name="os", capacity_bytes=10 * GiB, boot=1)],
            nics=[NicProps(network="lan", vlan=7)],
        ),
    )
    data = synth(stack)
    assert data["resource"]["hypercore_vm"]["solo"]["clone"]["source_vm_uuid"] == (
        "${data.hypercore_vms.golden.vms[0].uuid}"
    )
    assert data["resource"]["hypercore_nic"]["solo__lan"]["vlan"] == 7
    assert data["resource"]["hypercore_vm_power_state"]["solo"]["state"] == "RUNNING"


def test_virtual_machine_alone_copies_a_standalone_disk_image() -> None:
    stack = new_stack()
    image = DiskImage(stack, "img", props=DiskImageProps(name="img", source_url="https://example.com/a.img"))
    VirtualMachine(
        stack,
        "solo",
        props=VirtualMachineProps(
            name="solo",
            cpu=1,
            memory_bytes=GiB,
            disks=[DiskProps(name="os", image="img", capacity_bytes=10 * GiB)],
        ),
        images={"img": image},
    )
    data = synth(stack)
    assert data["resource"]["hypercore_virtual_disk"]["img"]["name"] == "img.img"
    assert (
        data["resource"]["hypercore_disk"]["solo__os"]["source_virtual_disk_id"]
        == "${hypercore_virtual_disk.img.id}"
    )


def test_virtual_machine_escape_hatch_is_the_hypercore_vm() -> None:
    stack = new_stack()
    vm = VirtualMachine(stack, "solo", props=VirtualMachineProps(name="solo", cpu=1, memory_bytes=GiB))
    vm.resource.add_override("snapshot_schedule_uuid", "sched-1")
    assert synth(stack)["resource"]["hypercore_vm"]["solo"]["snapshot_schedule_uuid"] == "sched-1"


def test_virtual_machine_rejects_invalid_props_listing_every_problem() -> None:
    stack = new_stack()
    bad = VirtualMachineProps(name="bad", cpu=0, memory_bytes=GiB + 1, tags=["a,b"])
    with pytest.raises(InputError) as caught:
        VirtualMachine(stack, "bad", props=bad)
    assert len(caught.value.issues) == 3
    assert stack.node.try_find_child("bad") is None


NIGHTLY = SnapshotRuleProps(
    name="nightly",
    start="2025-01-01 02:00:00",
    frequency="FREQ=DAILY;INTERVAL=1",
    local_retention_seconds=604800,
)


def test_virtual_machine_alone_attaches_a_standalone_snapshot_schedule() -> None:
    stack = new_stack()
    schedule = SnapshotSchedule(
        stack, "nightly", props=SnapshotScheduleProps(name="nightly", rules=[NIGHTLY])
    )
    VirtualMachine(
        stack,
        "solo",
        props=VirtualMachineProps(name="solo", cpu=1, memory_bytes=GiB, snapshot_schedule="nightly"),
        snapshot_schedules={"nightly": schedule},
    )
    data = synth(stack)
    assert data["resource"]["hypercore_vm_snapshot_schedule"]["nightly"]["rules"] == [
        {
            "name": "nightly",
            "start_timestamp": "2025-01-01 02:00:00",
            "frequency": "FREQ=DAILY;INTERVAL=1",
            "local_retention_seconds": 604800,
            # The provider would default to 0; fleetform sends what its documentation promises.
            "remote_retention_seconds": 604800,
        }
    ]
    vm = data["resource"]["hypercore_vm"]["solo"]
    assert vm["snapshot_schedule_uuid"] == "${hypercore_vm_snapshot_schedule.nightly.id}"


def test_application_schedules_keep_their_names_and_never_clash_with_vm_names() -> None:
    stack = new_stack()
    app = Application(
        stack,
        "app",
        props=ApplicationProps(
            name="app",
            snapshot_schedules=[SnapshotScheduleProps(name="web", cluster_name="app-web", rules=[NIGHTLY])],
            vms=[
                VirtualMachineProps(name="web", cpu=1, memory_bytes=GiB, snapshot_schedule="web"),
                VirtualMachineProps(name="db", cpu=1, memory_bytes=GiB, adopted=True),
            ],
        ),
    )
    data = synth(stack)
    assert data["resource"]["hypercore_vm_snapshot_schedule"]["web"]["name"] == "app-web"
    assert data["resource"]["hypercore_vm"]["web"]["snapshot_schedule_uuid"] == (
        "${hypercore_vm_snapshot_schedule.web.id}"
    )
    # An adopted VM without a schedule keeps whatever schedule it has on the cluster.
    assert data["resource"]["hypercore_vm"]["db"]["lifecycle"] == {
        "ignore_changes": ["snapshot_schedule_uuid"]
    }
    assert set(app.snapshot_schedules) == {"web"}


def test_schedules_hypercore_would_not_take_are_refused_before_any_construct() -> None:
    bad = SnapshotScheduleProps(
        name="bad",
        rules=[
            dataclasses.replace(NIGHTLY, start="2025-01-01T02:00:00"),
            dataclasses.replace(NIGHTLY, frequency="daily", local_retention_seconds=0),
        ],
    )
    stack = new_stack()
    with pytest.raises(InputError) as caught:
        Application(
            stack,
            "app",
            props=ApplicationProps(
                name="app",
                snapshot_schedules=[bad, SnapshotScheduleProps(name="empty", rules=[])],
                vms=[VirtualMachineProps(name="a", cpu=1, memory_bytes=GiB, snapshot_schedule="nightly")],
            ),
        )
    messages = [issue.message for issue in caught.value.issues]
    assert any("rule name 'nightly' is used twice" in m for m in messages)
    assert any("YYYY-MM-DD HH:MM:SS" in m for m in messages)
    assert any("upper case" in m for m in messages)
    assert any("local retention must be at least 1 second" in m for m in messages)
    assert any("'empty': a schedule needs at least one rule" in m for m in messages)
    assert stack.node.try_find_child("app") is None
    with pytest.raises(InputError, match="unknown snapshot schedule 'nightly'"):
        VirtualMachine(
            new_stack(),
            "a",
            props=VirtualMachineProps(name="a", cpu=1, memory_bytes=GiB, snapshot_schedule="nightly"),
        )


def test_props_are_frozen_keyword_only_dataclasses() -> None:
    for cls in props_classes():
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen, cls.__name__
        assert all(f.kw_only for f in dataclasses.fields(cls)), cls.__name__


def test_props_docstrings_state_every_default() -> None:
    missing = [
        f"{cls}.{name}"
        for cls, name, doc, has_default in field_docs()
        if has_default and "Default:" not in doc
    ]
    assert missing == []


def test_props_docstrings_cover_every_field() -> None:
    documented = {(cls, name) for cls, name, doc, _ in field_docs() if doc}
    fields = {(cls.__name__, f.name) for cls in props_classes() for f in dataclasses.fields(cls)}
    assert fields <= documented


def props_classes() -> list[type]:
    return [
        cls
        for cls in vars(props).values()
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == props.__name__
    ]


def field_docs() -> list[tuple[str, str, str, bool]]:
    """(class, field, docstring under it, whether it has a default) for every field in props.py."""
    result = []
    for node in ast.parse(PROPS_SOURCE.read_text()).body:
        if not isinstance(node, ast.ClassDef):
            continue
        body = node.body
        for index, statement in enumerate(body):
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                following = body[index + 1] if index + 1 < len(body) else None
                doc = ""
                if (
                    isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                ):
                    doc = following.value.value
                result.append((node.name, statement.target.id, doc, statement.value is not None))
    return result


def test_empty_description_is_sent_and_warned_about_only_where_a_template_is_cloned() -> None:
    stack = new_stack()
    blank = VirtualMachine(
        stack, "blank", props=VirtualMachineProps(name="blank", cpu=1, memory_bytes=GiB, description="")
    )
    old = VirtualMachine(
        stack,
        "old",
        props=VirtualMachineProps(
            name="old", cpu=1, memory_bytes=GiB, description="", template="uuid-1", adopted=True
        ),
    )
    clone = VirtualMachine(
        stack,
        "clone",
        props=VirtualMachineProps(name="clone", cpu=1, memory_bytes=GiB, description="", template="uuid-1"),
    )
    VirtualMachine(stack, "plain", props=VirtualMachineProps(name="plain", cpu=1, memory_bytes=GiB))
    vms = synth(stack)["resource"]["hypercore_vm"]
    assert {name: vm["description"] for name, vm in vms.items()} == {
        "blank": "",
        "old": "",
        "clone": "",
        "plain": "plain (managed by fleetform)",
    }
    assert blank.warnings == old.warnings == []
    (warning,) = clone.warnings
    assert "VM 'clone' has an empty description" in warning.message
