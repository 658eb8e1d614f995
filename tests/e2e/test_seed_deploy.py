"""The three seed applications deployed to the simulator with real Terraform and the stand-in provider."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.sandbox import TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

GiB = 1024**3
VLANS = {"public-net": 10, "web-net": 20, "app-net": 30, "db-net": 40, "domain-net": 50, "k8s-net": 60}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("seed")
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        box = Sandbox(root / "project", sim, cli_config)
        box.copy_seed()
        result = box.synth()
        for stack in result.stacks:
            box.apply(stack)
        yield box


def vm(box: Sandbox, name: str) -> dict[str, Any]:
    return box.vms()[name]


def test_seed_deploys_twelve_running_vms(deployed: Sandbox) -> None:
    vms = {n: v for n, v in deployed.vms().items() if not n.startswith("fleetform-template-")}
    assert len(vms) == 12
    assert {v["state"] for v in vms.values()} == {"RUNNING"}


def test_vm_has_manifest_cpu_memory_and_machine_type(deployed: Sandbox) -> None:
    db = vm(deployed, "db-tier-primary")
    assert db["numVCPU"] == 4
    assert db["mem"] == 16106127360
    assert db["machineTypeKeyword"] == "uefi"
    assert vm(deployed, "windows-dc")["machineTypeKeyword"] == "tpm"


def test_vm_carries_cloud_init_from_the_manifest(deployed: Sandbox) -> None:
    dc = vm(deployed, "windows-dc")
    meta = base64.b64decode(dc["cloudInitData"]["metaData"]).decode()
    assert meta == "instance-id: windows-dc-001\nlocal-hostname: dc01\n"
    assert base64.b64decode(dc["cloudInitData"]["userData"]).decode().startswith("#cloud-config\nruncmd:\n")


def test_vm_has_its_disks_nics_and_boot_order(deployed: Sandbox) -> None:
    db = vm(deployed, "db-tier-primary")
    disks = sorted(d["capacity"] for d in db["blockDevs"] if d["type"] == "VIRTIO_DISK")
    assert len(disks) == 3
    assert disks[0] >= 50 * GiB and disks[1] >= 100 * GiB and disks[2] >= 200 * GiB
    assert sorted(n["vlan"] for n in db["netDevs"]) == [VLANS["app-net"], VLANS["db-net"]]
    system = max(
        (d for d in db["blockDevs"] if d["type"] == "VIRTIO_DISK"),
        key=lambda d: -abs(d["capacity"] - 50 * GiB),
    )
    assert db["bootDevices"][0] == system["uuid"]
    assert set(db["bootDevices"][1:]) == {n["uuid"] for n in db["netDevs"]}


def test_second_plan_of_every_stack_has_no_changes(deployed: Sandbox) -> None:
    for stack in ("three-tier-webapp", "mixed-os-enterprise", "microservices-stack"):
        assert deployed.plan_exit(stack) == 0, stack
