"""HyperCore's own drives through a whole import: VMs with a cloud-init drive and a guest tools drive, made
through the REST API, are imported without those drives, a user CD-ROM keeps its real slot, the plan only
imports, a second plan and ``fleetform drift`` find nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from importsupport import GiB, RestCluster, import_runner
from support.sandbox import PROJECT, TEMPLATES, Sandbox, changes

from fleetform.simulator.testing import run_in_thread

pytestmark = pytest.mark.e2e


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class Imported:
    box: Sandbox
    cluster: RestCluster
    uuids: dict[str, str]
    result: Result
    plan: dict[str, Any]

    @property
    def imports(self) -> dict[str, str]:
        data: dict[str, str] = json.loads((self.box.manifests / "edge.imports.json").read_text())["imports"]
        return data

    def devices(self, vm: str) -> dict[str, tuple[int, str]]:
        """The VM's CD-ROMs on the cluster: ISO name (or uuid of an empty drive) -> (slot, uuid)."""
        record = self.cluster.vm(self.uuids[vm])
        return {
            d["name"] or d["uuid"]: (d["slot"], d["uuid"])
            for d in record["blockDevs"]
            if d["type"] == "IDE_CDROM"
        }


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Imported]:
    root = tmp_path_factory.mktemp("system-drives")
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        box = Sandbox(root / "project", sim, cli_config)
        cluster = RestCluster(sim)
        # Made from scratch the way the Ansible collection makes a Windows VM: its own (empty) CD-ROM in IDE
        # slot 0, then HyperCore adds the guest tools in slot 1 and the cloud-init drive in slot 2.
        kiosk = cluster.create_vm(
            "edge-kiosk",
            disks=[("os", "VIRTIO_DISK", 20 * GiB), ("cd", "IDE_CDROM", 0)],
            nics=[("lan", "VIRTIO", 20)],
            boot=["os", "lan"],
            operatingSystem="os_windows_server_2019",
            cloudInitData={"userData": b64("#cloud-config\n"), "metaData": b64("instance-id: kiosk\n")},
            options={"attachGuestToolsISO": True},
        )
        # Cloned with cloud-init (the drive takes IDE slot 0), then given a disk, a NIC and a CD-ROM, which
        # lands in the next free IDE slot (1); it boots from the disk, then the CD-ROM, then the NIC.
        template = box.vms()[TEMPLATES["uefi"]]["uuid"]
        with cluster.client() as client:
            task = client.post(
                f"/rest/v1/VirDomain/{template}/clone",
                {"template": {"name": "edge-pos", "cloudInitData": {"userData": b64("#cloud-config\n")}}},
            )
            client.wait_task(task, poll_interval=0.01)
            pos = task.created_uuid
        os_disk = cluster.add_disk(pos, "VIRTIO_DISK", 10 * GiB)
        cdrom = cluster.add_disk(pos, "IDE_CDROM")
        with cluster.client() as client:
            nic = client.post(
                "/rest/v1/VirDomainNetDevice", {"virDomainUUID": pos, "type": "VIRTIO", "vlan": 20}
            )
            client.wait_task(nic, poll_interval=0.01)
            order = client.post(
                f"/rest/v1/VirDomain/{pos}", {"bootDevices": [os_disk, cdrom, nic.created_uuid]}
            )
            client.wait_task(order, poll_interval=0.01)
        cluster.action(pos, "START")
        result = import_runner(sim, box.root)("--app", "edge", "--match", "edge-*")
        assert result.exit_code == 0, result.output
        box.synth()
        plan = box.plan_json("edge")
        box.apply("edge")
        yield Imported(box, cluster, {"edge-kiosk": kiosk, "edge-pos": pos}, result, plan)


def test_the_cluster_has_hypercores_drives_where_the_evidence_says(imported: Imported) -> None:
    kiosk = imported.devices("edge-kiosk")
    assert sorted(slot for slot, _ in kiosk.values()) == [0, 1, 2]
    assert any(name.startswith("scale-guest-tools") for name in kiosk)
    pos = imported.devices("edge-pos")
    assert [slot for name, (slot, _) in pos.items() if name.startswith("cloud-init-")] == [0]


def test_import_leaves_them_out_and_user_cdroms_keep_their_slots(imported: Imported) -> None:
    kiosk, pos = imported.uuids["edge-kiosk"], imported.uuids["edge-pos"]
    disks = {
        address: value for address, value in imported.imports.items() if address.startswith("hypercore_disk.")
    }
    assert disks == {
        "hypercore_disk.edge-kiosk__cdrom-0": f"{kiosk}:IDE_CDROM:0",
        "hypercore_disk.edge-kiosk__disk-0": f"{kiosk}:VIRTIO_DISK:0",
        "hypercore_disk.edge-pos__cdrom-1": f"{pos}:IDE_CDROM:1",
        "hypercore_disk.edge-pos__disk-0": f"{pos}:VIRTIO_DISK:0",
    }
    # The boot order "disk, CD-ROM, NIC" is one a manifest can say, so it is managed.
    assert imported.imports["hypercore_vm_boot_order.edge-pos"] == pos
    manifest = (imported.box.manifests / "edge.yaml").read_text()
    assert "name: cdrom-1\n            type: ide_cdrom\n            boot: 2" in manifest
    output = " ".join(imported.result.output.split())
    assert "HyperCore's cloud-init drive (IDE slot 0" in output
    assert "HyperCore's guest tools drive (IDE slot 1" in output


def test_the_plan_only_imports_and_a_second_plan_is_clean(imported: Imported) -> None:
    importing = [rc for rc in imported.plan["resource_changes"] if rc["change"].get("importing")]
    assert len(importing) == len(imported.imports)
    assert changes(imported.plan) == {}
    assert imported.box.plan_exit("edge") == 0
    # Nothing was taken away from the VMs: HyperCore's drives are still there.
    assert len(imported.devices("edge-kiosk")) == 3 and len(imported.devices("edge-pos")) == 2


def test_drift_finds_nothing(imported: Imported) -> None:
    box = imported.box
    result = box.fleetform("drift", *PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no drift" in result.stdout
