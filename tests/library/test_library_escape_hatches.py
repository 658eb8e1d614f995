"""What a cdktf user expects of the constructs: the underlying resources as typed bindings, add_override and
override_logical_id on them (references follow), and no two resources of a stack at one address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleetform._cdktf import App, TerraformOutput, TerraformStack
from fleetform._cdktf import Testing as CdkTesting
from fleetform.constructs import (
    Application,
    ApplicationProps,
    CloudInit,
    DiskImage,
    DiskImageProps,
    DiskProps,
    NicProps,
    SnapshotRuleProps,
    SnapshotScheduleProps,
    VirtualMachine,
    VirtualMachineProps,
)
from fleetform.errors import InputError
from fleetform.manifest.secrets import secret_marker
from fleetform.providers.hypercore.disk import Disk
from fleetform.providers.hypercore.nic import Nic
from fleetform.providers.hypercore.provider import HypercoreProvider
from fleetform.providers.hypercore.virtual_disk import VirtualDisk
from fleetform.providers.hypercore.vm import Vm
from fleetform.providers.hypercore.vm_boot_order import VmBootOrder
from fleetform.providers.hypercore.vm_power_state import VmPowerState
from fleetform.synth.app import build_app
from fleetform.synth.inputs import load_inputs
from fleetform.synth.schema_check import check_stack, load_provider_schema

GiB = 1024**3
ROOT = Path(__file__).resolve().parents[2]


def shop(stack: TerraformStack, id: str = "shop", vm: str = "web", template: str = "tpl-uefi") -> Application:
    return Application(
        stack,
        id,
        props=ApplicationProps(
            name=id,
            images=[DiskImageProps(name="ubuntu", source_url="https://x/ubuntu.img")],
            templates={"uefi": template},
            snapshot_schedules=[
                SnapshotScheduleProps(
                    name="nightly",
                    rules=[
                        SnapshotRuleProps(
                            name="n",
                            start="2025-01-01 02:00:00",
                            frequency="FREQ=DAILY",
                            local_retention_seconds=86400,
                        )
                    ],
                )
            ],
            vms=[
                VirtualMachineProps(
                    name="db",
                    cpu=1,
                    memory_bytes=GiB,
                    disks=[DiskProps(name="os", image="ubuntu", capacity_bytes=20 * GiB, boot=1)],
                    snapshot_schedule="nightly",
                ),
                VirtualMachineProps(
                    name=vm,
                    cpu=2,
                    memory_bytes=2 * GiB,
                    disks=[
                        DiskProps(name="os", image="ubuntu", capacity_bytes=20 * GiB, boot=1),
                        DiskProps(name="data", capacity_bytes=10 * GiB),
                    ],
                    nics=[NicProps(network="lan", vlan=10)],
                    cloud_init=CloudInit(user_data="#cloud-config\n"),
                    start_after=["db"],
                ),
            ],
        ),
    )


def new_stack() -> TerraformStack:
    stack = TerraformStack(CdkTesting.app(), "lib")
    HypercoreProvider(stack, "hypercore")
    return stack


def synth(stack: TerraformStack) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CdkTesting.synth(stack))
    assert check_stack(data, load_provider_schema()) == []
    return data


def test_every_underlying_resource_is_its_typed_binding() -> None:
    app = shop(new_stack())
    web = app.vms["web"]
    assert isinstance(web.resource, Vm)
    assert {name: type(disk) for name, disk in web.disks.items()} == {"os": Disk, "data": Disk}
    assert {key: type(nic) for key, nic in web.nics.items()} == {"lan": Nic}
    assert isinstance(web.boot_order, VmBootOrder) and isinstance(web.power_state, VmPowerState)
    assert isinstance(app.images["ubuntu"].resource, VirtualDisk)
    assert web.resource.friendly_unique_id == "web" and web.disks["os"].friendly_unique_id == "web__os"
    assert web.resource.node.path == "lib/shop/web/Resource"


def test_add_override_and_override_logical_id_on_the_vm_construct_itself_act_on_its_hypercore_vm() -> None:
    stack = new_stack()
    app = shop(stack)
    app.vms["web"].add_override("description", "overridden")
    app.vms["web"].override_logical_id("frontend")
    resources = json.loads(CdkTesting.synth(stack))["resource"]
    assert "web" not in resources["hypercore_vm"]
    assert resources["hypercore_vm"]["frontend"]["description"] == "overridden"
    # The VM's other resources keep their addresses and refer to the VM by its new one.
    assert resources["hypercore_disk"]["web__data"]["vm_uuid"] == "${hypercore_vm.frontend.id}"


def test_add_override_on_a_vm_shows_up_in_the_json_and_its_metadata() -> None:
    stack = new_stack()
    app = shop(stack)
    app.vms["web"].resource.add_override("lifecycle.ignore_changes", ["tags"])
    app.vms["web"].disks["data"].add_override("flash_priority", 8)
    app.snapshot_schedules["nightly"].resource.add_override("rules.0.local_retention_seconds", 3600)
    data = json.loads(CdkTesting.synth(stack))
    resources = data["resource"]
    assert resources["hypercore_vm"]["web"]["lifecycle"] == {"ignore_changes": ["tags"]}
    assert resources["hypercore_disk"]["web__data"]["flash_priority"] == 8
    assert (
        resources["hypercore_vm_snapshot_schedule"]["nightly"]["rules"][0]["local_retention_seconds"] == 3600
    )
    # cdktf's own bookkeeping of overrides, in the stack's metadata.
    full = json.loads(Path(CdkTesting.full_synth(stack), "stacks", "lib", "cdk.tf.json").read_text())
    assert set(full["//"]["metadata"]["overrides"]) == {
        "hypercore_vm",
        "hypercore_disk",
        "hypercore_vm_snapshot_schedule",
    }


def test_override_logical_id_is_followed_by_every_reference_written_or_reached_for() -> None:
    stack = new_stack()
    app = shop(stack)
    web = app.vms["web"]
    web.resource.override_logical_id("frontend")
    web.disks["os"].override_logical_id("frontend_root")
    app.images["ubuntu"].resource.override_logical_id("base_image")
    app.vms["db"].power_state.override_logical_id("db_up")
    app.snapshot_schedules["nightly"].resource.override_logical_id("every_night")
    app.templates["uefi"].resource.override_logical_id("golden")
    resources = synth(stack)["resource"]
    assert "web" not in resources["hypercore_vm"] and "frontend" in resources["hypercore_vm"]
    assert resources["hypercore_disk"]["web__data"]["vm_uuid"] == "${hypercore_vm.frontend.id}"
    assert resources["hypercore_vm_boot_order"]["web"]["boot_devices"] == [
        "${hypercore_disk.frontend_root.id}",
        "${hypercore_nic.web__lan.id}",
    ]
    assert "hypercore_disk.frontend_root" in resources["hypercore_vm_power_state"]["web"]["depends_on"]
    assert "hypercore_vm_power_state.db_up" in resources["hypercore_vm_power_state"]["web"]["depends_on"]
    for disk in ("frontend_root", "db__os"):
        assert (
            resources["hypercore_disk"][disk]["source_virtual_disk_id"]
            == "${hypercore_virtual_disk.base_image.id}"
        )
    assert resources["hypercore_vm"]["db"]["snapshot_schedule_uuid"] == (
        "${hypercore_vm_snapshot_schedule.every_night.id}"
    )
    assert resources["hypercore_vm"]["frontend"]["clone"]["source_vm_uuid"] == (
        "${data.hypercore_vms.golden.vms[0].uuid}"
    )


def test_a_written_vm_refers_to_a_reached_one_by_its_overridden_id() -> None:
    stack = new_stack()
    app = shop(stack)
    app.vms["db"].power_state.override_logical_id("db_up")
    assert not app.vms["web"].reached
    depends = synth(stack)["resource"]["hypercore_vm_power_state"]["web"]["depends_on"]
    assert "hypercore_vm_power_state.db_up" in depends


def test_references_to_a_construct_are_cdktf_tokens_of_its_resource() -> None:
    stack = new_stack()
    app = shop(stack)
    TerraformOutput(stack, "web_uuid", value=app.vms["web"].uuid)
    TerraformOutput(stack, "image_uuid", value=app.images["ubuntu"].uuid)
    TerraformOutput(stack, "template_uuid", value=app.templates["uefi"].uuid)
    outputs = synth(stack)["output"]
    assert outputs["web_uuid"]["value"] == "${hypercore_vm.web.id}"
    assert outputs["image_uuid"]["value"] == "${hypercore_virtual_disk.ubuntu.id}"
    assert outputs["template_uuid"]["value"] == "${data.hypercore_vms.template-uefi.vms[0].uuid}"


def test_hcl_output_builds_typed_bindings_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_HCL_OUTPUT", "true")
    app = shop(new_stack())
    assert all(vm.reached for vm in app.vms.values()) and app.templates["uefi"].reached


# --- unique addresses ---------------------------------------------------------------------------------


def test_two_applications_with_a_vm_of_the_same_name_fail_synthesis_naming_both(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "shop")
    HypercoreProvider(stack, "hypercore")
    shop(stack, "blue")
    shop(stack, "green")
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    message = str(raised.value)
    assert (
        "would get the address hypercore_vm.db: shop/blue/db/Resource and shop/green/db/Resource" in message
    )
    assert "shop/green/db/Resource and shop/green/db" not in message
    # The images and the schedule clash too; the template look-up is shared, not written twice.
    assert "hypercore_virtual_disk.ubuntu" in message and "hypercore_vm_snapshot_schedule.nightly" in message
    assert "template-uefi" not in message
    assert not (tmp_path / "stacks" / "shop" / "cdk.tf.json").exists()


def test_a_typed_binding_at_a_vm_s_address_fails_synthesis() -> None:
    app = App(outdir=CdkTesting.app().outdir)
    stack = TerraformStack(app, "solo")
    HypercoreProvider(stack, "hypercore")
    VirtualMachine(stack, "web", props=VirtualMachineProps(name="web", cpu=1, memory_bytes=GiB))
    Vm(
        stack, "other", name="other", vcpu=1, memory=1024, tags=[""], affinity_strategy={}
    ).override_logical_id("web")
    with pytest.raises(RuntimeError, match=r"hypercore_vm\.web: solo/web/Resource and solo/other"):
        app.synth()


def test_an_override_that_makes_two_addresses_one_fails_synthesis() -> None:
    app = App(outdir=CdkTesting.app().outdir)
    stack = TerraformStack(app, "solo")
    HypercoreProvider(stack, "hypercore")
    application = shop(stack)
    application.vms["web"].resource.override_logical_id("db")
    with pytest.raises(
        RuntimeError, match=r"hypercore_vm\.db: solo/shop/db/Resource and solo/shop/web/Resource"
    ):
        app.synth()


def test_applications_of_one_stack_share_template_look_ups_and_secrets() -> None:
    stack = new_stack()
    secret = CloudInit(user_data=f"password: {secret_marker('pw')}\n")
    for name in ("blue", "green"):
        Application(
            stack,
            name,
            props=ApplicationProps(
                name=name,
                templates={"uefi": "tpl-uefi"},
                vms=[VirtualMachineProps(name=f"{name}-vm", cpu=1, memory_bytes=GiB, cloud_init=secret)],
            ),
        )
    data = synth(stack)
    assert list(data["data"]["hypercore_vms"]) == ["template-uefi"]
    assert list(data["variable"]) == ["secret_pw"]
    for name in ("blue", "green"):
        clone = data["resource"]["hypercore_vm"][f"{name}-vm"]["clone"]
        assert clone["source_vm_uuid"] == "${data.hypercore_vms.template-uefi.vms[0].uuid}"


def test_another_template_for_a_machine_type_in_the_same_stack_is_refused() -> None:
    stack = new_stack()
    shop(stack, "blue")
    with pytest.raises(InputError, match="'other-uefi', but lib/blue/Template-uefi in the same stack"):
        shop(stack, "green", vm="green-web", template="other-uefi")


def test_fleetform_synth_reports_addresses_two_resources_would_share_at_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "clash.yaml"
    manifest.write_text(
        """\
type: Application
version: "1.0.0"
metadata:
  name: clash
spec:
  resources:
    - type: virdomain
      name: a
      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: running, storage_devices: [{name: b__c, type: virtio_disk, capacity: 1GiB}]}
    - type: virdomain
      name: a__b
      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: running, storage_devices: [{name: c, type: virtio_disk, capacity: 1GiB}]}
"""
    )
    inputs = load_inputs([manifest], ROOT / "fleetform.yaml")
    with pytest.raises(InputError) as raised:
        build_app(inputs, outdir=tmp_path / "out")
    (issue,) = raised.value.issues
    assert str(issue.location) == f"{manifest}:4:9"
    assert "hypercore_disk.a__b__c: clash/app/a/Disk-b__c and clash/app/a__b/Disk-c" in issue.message


def test_a_vm_refusing_an_image_of_another_stack() -> None:
    app = CdkTesting.app()
    images = {
        "img": DiskImage(TerraformStack(app, "one"), "img", props=DiskImageProps(name="img", source_url="x"))
    }
    other = TerraformStack(app, "two")
    props = VirtualMachineProps(
        name="vm", cpu=1, memory_bytes=GiB, disks=[DiskProps(name="os", image="img", boot=1)]
    )
    with pytest.raises(InputError, match="refers to one/img, which is in another stack"):
        VirtualMachine(other, "vm", props=props, images=images)
