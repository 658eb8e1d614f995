"""The three seed applications synthesize to the Terraform JSON the HyperCore provider needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleetform.synth.schema_check import check_stack, load_provider_schema
from fleetform.synth.synthesize import SynthResult, synthesize

ROOT = Path(__file__).resolve().parents[2]
GiB = 1024**3


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    out = tmp_path_factory.mktemp("seed") / "cdktf.out"
    return synthesize([ROOT / "manifests"], config_path=ROOT / "fleetform.yaml", outdir=out)


def stack(result: SynthResult, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stack_file(name).read_text())
    return data


def test_synth_seed_writes_one_stack_per_application(seed: SynthResult) -> None:
    assert seed.stacks == ["microservices-stack", "mixed-os-enterprise", "three-tier-webapp"]
    vms = sum(len(stack(seed, s)["resource"]["hypercore_vm"]) for s in seed.stacks)
    assert vms == 12


def test_synth_seed_passes_provider_schema_check(seed: SynthResult) -> None:
    schema = load_provider_schema()
    for name in seed.stacks:
        assert check_stack(stack(seed, name), schema) == [], name


def test_synth_vm_carries_cpu_memory_description_tags(seed: SynthResult) -> None:
    vm = stack(seed, "three-tier-webapp")["resource"]["hypercore_vm"]["db-tier-primary"]
    assert vm["name"] == "db-tier-primary"
    assert vm["vcpu"] == 4
    assert vm["memory"] == 15 * 1024  # 16106127360 bytes in MiB
    assert vm["description"] == "Primary database server"
    assert vm["tags"] == ["tier:database", "role:primary", "postgresql", "backup"]
    assert vm["affinity_strategy"] == {}


def test_synth_vm_clones_machine_type_template_with_cloud_init(seed: SynthResult) -> None:
    data = stack(seed, "mixed-os-enterprise")
    vm = data["resource"]["hypercore_vm"]["windows-dc"]
    assert vm["clone"]["source_vm_uuid"] == "${data.hypercore_vms.template-tpm.vms[0].uuid}"
    assert vm["clone"]["user_data"].startswith("#cloud-config\nruncmd:\n")
    assert vm["clone"]["meta_data"] == "instance-id: windows-dc-001\nlocal-hostname: dc01\n"
    assert data["data"]["hypercore_vms"]["template-tpm"]["name"] == "fleetform-template-tpm"
    assert data["data"]["hypercore_vms"]["template-uefi"]["name"] == "fleetform-template-uefi"


def test_synth_disks_have_sizes_in_decimal_gb_and_sources(seed: SynthResult) -> None:
    disks = stack(seed, "three-tier-webapp")["resource"]["hypercore_disk"]
    system = disks["db-tier-primary__db-system"]
    assert system["type"] == "VIRTIO_DISK"
    assert system["vm_uuid"] == "${hypercore_vm.db-tier-primary.id}"
    assert system["source_virtual_disk_id"] == "${hypercore_virtual_disk.ubuntu-db.id}"
    assert system["size"] * 1e9 >= 50 * GiB
    data = disks["db-tier-primary__db-data"]
    assert "source_virtual_disk_id" not in data
    assert data["size"] * 1e9 >= 200 * GiB
    assert disks["web-tier-lb__web-lb-disk"]["size"] == 32.21225472  # 30 GiB round-trips exactly


def test_synth_images_are_uploaded_once_per_application(seed: SynthResult) -> None:
    images = stack(seed, "three-tier-webapp")["resource"]["hypercore_virtual_disk"]
    assert sorted(images) == ["ubuntu-app", "ubuntu-db", "ubuntu-web"]
    assert images["ubuntu-app"]["name"] == "three-tier-webapp-ubuntu-app.img"


def test_synth_nics_carry_vlans_from_site_config(seed: SynthResult) -> None:
    nics = stack(seed, "three-tier-webapp")["resource"]["hypercore_nic"]
    assert set(nics) >= {"web-tier-lb__public-net", "web-tier-lb__web-net"}
    assert nics["web-tier-lb__public-net"]["type"] == "VIRTIO"
    assert nics["web-tier-lb__public-net"]["vlan"] == 10
    assert nics["web-tier-lb__web-net"]["vlan"] == 20


def test_synth_boot_order_lists_boot_disks_then_nics(seed: SynthResult) -> None:
    order = stack(seed, "three-tier-webapp")["resource"]["hypercore_vm_boot_order"]["db-tier-primary"]
    assert order["boot_devices"] == [
        "${hypercore_disk.db-tier-primary__db-system.id}",
        "${hypercore_nic.db-tier-primary__app-net.id}",
        "${hypercore_nic.db-tier-primary__db-net.id}",
    ]


def test_synth_power_state_depends_on_every_device(seed: SynthResult) -> None:
    power = stack(seed, "three-tier-webapp")["resource"]["hypercore_vm_power_state"]["db-tier-replica"]
    assert power["state"] == "RUNNING"
    assert power["vm_uuid"] == "${hypercore_vm.db-tier-replica.id}"
    assert sorted(power["depends_on"]) == [
        "hypercore_disk.db-tier-replica__db-data",
        "hypercore_disk.db-tier-replica__db-system",
        "hypercore_nic.db-tier-replica__app-net",
        "hypercore_nic.db-tier-replica__db-net",
        "hypercore_vm_boot_order.db-tier-replica",
    ]


def test_synth_stack_sets_local_backend_and_empty_provider(seed: SynthResult) -> None:
    data = stack(seed, "microservices-stack")
    assert data["terraform"]["backend"]["local"]["path"].endswith("state/microservices-stack.tfstate")
    assert data["provider"]["hypercore"] == [{}]
    assert data["terraform"]["required_providers"]["hypercore"] == {
        "source": "scalecomputing/hypercore",
        "version": "~> 1.4",
    }


def test_synth_warns_exactly_about_rounded_disks_and_plaintext_passwords(seed: SynthResult) -> None:
    found = sorted(
        (Path(str(w.location.path)).name, w.location.line, w.message.split(" ")[0]) for w in seed.warnings
    )
    rounded = {  # GiB sizes that do not round-trip through the provider's decimal GB floats
        ("mixed-os-enterprise.yaml", line) for line in (31, 110, 159, 164)
    } | {("three-tier-webapp.yaml", line) for line in (102, 173, 244, 249, 252, 313, 318)}
    passwords = {  # the seed's cloud-init user_data with literal passwords
        ("mixed-os-enterprise.yaml", 53),
        ("mixed-os-enterprise.yaml", 198),
        ("three-tier-webapp.yaml", 297),
    }
    assert found == sorted(
        [(f, line, "disk") for f, line in rounded] + [(f, line, "VM") for f, line in passwords]
    )
    assert all(w.severity == "warning" for w in seed.warnings)
    for w in seed.warnings:
        if w.message.startswith("disk"):
            assert "cannot be expressed exactly in the provider's decimal GB" in w.message
        else:
            assert "seems to hold a password in plain text" in w.message
