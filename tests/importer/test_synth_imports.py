"""An imports file next to a manifest -> import blocks and adopted VMs in the synthesized Terraform JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fleetform.importer.record import ImportRecord
from fleetform.synth.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]
GiB = 1024**3
VM = "0000aaaa-0000-0000-0000-000000000001"

MANIFEST = """\
type: Application
version: "1.0.0"
metadata:
  name: legacy
spec:
  resources:
    - type: virdomain
      name: web-01
      spec:
        description: ""
        cpu: 2
        memory: "2147483648"
        machine_type: uefi
        state: running
        storage_devices:
          - {name: disk-0, type: virtio_disk, capacity: 53687091200, boot: 1}
          - {name: disk-1, type: virtio_disk, capacity: 1073741824}
          - {name: cdrom-0, type: ide_cdrom}
        network_devices:
          - {name: web-net, type: virtio}
    - type: virdomain
      name: db-01
      spec:
        description: ""
        cpu: 2
        memory: "2147483648"
        machine_type: bios
        state: shutoff
        storage_devices:
          - {name: disk-0, type: virtio_disk, capacity: 10737418240}
        network_devices:
          - {name: db-net, type: virtio}
"""

IMPORTS = {
    "hypercore_vm.web-01": VM,
    "hypercore_disk.web-01__disk-0": f"{VM}:VIRTIO_DISK:0",
    "hypercore_disk.web-01__disk-1": f"{VM}:VIRTIO_DISK:1",
    "hypercore_disk.web-01__cdrom-0": f"{VM}:IDE_CDROM:0",
    "hypercore_nic.web-01__web-net": f"{VM}:VIRTIO:20",
    "hypercore_vm_boot_order.web-01": VM,
    "hypercore_vm_power_state.web-01": VM,
    "hypercore_vm.gone": "0000",  # a VM the manifest no longer has
}


def synth(
    tmp_path: Path, imports: dict[str, str] | None = None, cluster: str | None = None
) -> dict[str, Any]:
    manifests = tmp_path / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    (manifests / "legacy.yaml").write_text(MANIFEST)
    if imports is not None:
        record = ImportRecord(application="legacy", cluster=cluster, imports=imports)
        (manifests / "legacy.imports.json").write_text(record.to_json())
    result = synthesize([manifests], config_path=ROOT / "fleetform.yaml", outdir=tmp_path / "out")
    data: dict[str, Any] = json.loads(result.stack_file("legacy").read_text())
    return data


def test_import_blocks_for_every_recorded_address_the_stack_has(tmp_path: Path) -> None:
    blocks = synth(tmp_path, IMPORTS)["import"]
    assert {b["to"]: b["id"] for b in blocks} == {
        k: v for k, v in IMPORTS.items() if k != "hypercore_vm.gone"
    }


def test_no_imports_file_means_no_import_blocks(tmp_path: Path) -> None:
    assert "import" not in synth(tmp_path)


def test_adopted_vm_is_not_cloned_and_keeps_its_snapshot_schedule(tmp_path: Path) -> None:
    data = synth(tmp_path, IMPORTS)
    web = data["resource"]["hypercore_vm"]["web-01"]
    assert "clone" not in web
    assert web["lifecycle"] == {"ignore_changes": ["snapshot_schedule_uuid"]}
    assert "clone" in data["resource"]["hypercore_vm"]["db-01"]  # not imported: created as before
    assert set(data["data"]["hypercore_vms"]) == {"template-bios"}


def test_adopted_disk_has_the_exact_size_the_provider_reads_back(tmp_path: Path) -> None:
    disks = synth(tmp_path, IMPORTS)["resource"]["hypercore_disk"]
    assert disks["web-01__disk-0"]["size"] == 53687091200 / 1000 / 1000 / 1000
    assert disks["web-01__disk-1"]["size"] == 1073741824 / 1000 / 1000 / 1000  # not rounded up to 1.074
    assert "source_virtual_disk_id" not in disks["web-01__disk-0"]
    assert disks["web-01__disk-1"]["lifecycle"] == {
        "ignore_changes": ["flash_priority"],
        "prevent_destroy": True,
    }
    assert disks["web-01__cdrom-0"]["lifecycle"] == {"ignore_changes": ["flash_priority", "size"]}


def test_disk_not_in_the_imports_is_created_as_usual(tmp_path: Path) -> None:
    imports = {k: v for k, v in IMPORTS.items() if k != "hypercore_disk.web-01__disk-1"}
    disk = synth(tmp_path, imports)["resource"]["hypercore_disk"]["web-01__disk-1"]
    assert disk["size"] == 1.074  # rounded up to a size that round-trips, as for any new disk
    assert disk["lifecycle"] == {"prevent_destroy": True}


def test_adopted_vm_without_boot_index_has_no_boot_order(tmp_path: Path) -> None:
    imports = {"hypercore_vm.web-01": VM}
    text = MANIFEST.replace(", boot: 1}", "}")
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "legacy.yaml").write_text(text)
    (manifests / "legacy.imports.json").write_text(
        ImportRecord(application="legacy", cluster=None, imports=imports).to_json()
    )
    result = synthesize([manifests], config_path=ROOT / "fleetform.yaml", outdir=tmp_path / "out")
    orders = json.loads(result.stack_file("legacy").read_text())["resource"]["hypercore_vm_boot_order"]
    assert "web-01" not in orders and "db-01" in orders  # db-01 is not adopted: NICs still boot


def test_imports_go_only_to_the_stack_of_the_recorded_cluster(tmp_path: Path) -> None:
    site = tmp_path / "fleetform.yaml"
    site.write_text(
        "networks: {web-net: 20, db-net: 40}\ntemplates: {uefi: t-uefi, bios: t-bios}\n"
        "clusters:\n  - {name: east, host: 'http://127.0.0.1:1'}\n  - {name: west, host: 'http://127.0.0.1:2'}\n"
    )
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "legacy.yaml").write_text(MANIFEST)
    (manifests / "legacy.imports.json").write_text(
        ImportRecord(application="legacy", cluster="west", imports=IMPORTS).to_json()
    )
    result = synthesize([manifests], config_path=site, outdir=tmp_path / "out")
    east = json.loads(result.stack_file("legacy--east").read_text())
    west = json.loads(result.stack_file("legacy--west").read_text())
    assert "import" not in east and "clone" in east["resource"]["hypercore_vm"]["web-01"]
    assert len(west["import"]) == 7 and "clone" not in west["resource"]["hypercore_vm"]["web-01"]


def test_imports_for_a_cluster_the_site_lacks_warn(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "legacy.yaml").write_text(MANIFEST)
    (manifests / "legacy.imports.json").write_text(
        ImportRecord(application="legacy", cluster="west", imports=IMPORTS).to_json()
    )
    result = synthesize([manifests], config_path=ROOT / "fleetform.yaml", outdir=tmp_path / "out")
    assert any("not a target of the site" in w.message for w in result.warnings)
    assert "import" not in json.loads(result.stack_file("legacy").read_text())
