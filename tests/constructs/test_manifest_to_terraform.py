"""Manifest -> Terraform JSON, one behaviour per test, on small manifests written in the test."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from fleetform.errors import InputError
from fleetform.synth.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
type: Application
version: "1.0.0"
metadata:
  name: demo
spec:
  assets:
    - {name: img, type: virtual_disk, format: raw, url: "https://images.example.com/img.raw"}
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, source: img, boot: 1, capacity: 20GiB}
          - {name: data, type: virtio_disk, capacity: 10GiB}
        network_devices:
          - {name: web-net, type: virtio}
          - {name: app-net, type: virtio}
    - type: virdomain
      name: db
      spec:
        cpu: 4
        memory: 4GiB
        machine_type: bios
        state: shutoff
"""


def synth_text(tmp_path: Path, text: str, name: str = "demo") -> Any:
    manifests = tmp_path / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    (manifests / f"{name}.yaml").write_text(text)
    result = synthesize([manifests], config_path=ROOT / "fleetform.yaml", outdir=tmp_path / "out")
    return without_metadata(json.loads(result.stack_file(name).read_text()))


def without_metadata(data: Any) -> Any:
    """The JSON without cdktf's "//" metadata (construct paths, versions)."""
    if isinstance(data, dict):
        return {k: without_metadata(v) for k, v in data.items() if k != "//"}
    return data


def test_reordering_yaml_lists_changes_nothing(tmp_path: Path) -> None:
    reordered = BASE.replace(
        "          - {name: system, type: virtio_disk, source: img, boot: 1, capacity: 20GiB}\n"
        "          - {name: data, type: virtio_disk, capacity: 10GiB}\n",
        "          - {name: data, type: virtio_disk, capacity: 10GiB}\n"
        "          - {name: system, type: virtio_disk, source: img, boot: 1, capacity: 20GiB}\n",
    ).replace(
        "          - {name: web-net, type: virtio}\n          - {name: app-net, type: virtio}\n",
        "          - {name: app-net, type: virtio}\n          - {name: web-net, type: virtio}\n",
    )
    vms = reordered.split("    - type: virdomain\n")
    reordered = vms[0] + "    - type: virdomain\n" + vms[2] + "    - type: virdomain\n" + vms[1]
    assert reordered != BASE
    first = synth_text(tmp_path / "a", BASE)
    second = synth_text(tmp_path / "b", reordered)
    # Where each lives differs: its state path and its recorded manifest.
    for data in (first, second):
        data["terraform"].pop("backend")
        assert data.pop("output")["fleetform_manifest"]["value"].endswith("/manifests/demo.yaml")
    assert first == second


def test_shutoff_vm_gets_shutoff_power_state(tmp_path: Path) -> None:
    data = synth_text(tmp_path, BASE)
    assert data["resource"]["hypercore_vm_power_state"]["db"]["state"] == "SHUTOFF"
    assert data["resource"]["hypercore_vm_power_state"]["web"]["state"] == "RUNNING"


def test_vm_without_devices_has_no_boot_order(tmp_path: Path) -> None:
    data = synth_text(tmp_path, BASE)
    assert "db" not in data["resource"]["hypercore_vm_boot_order"]
    assert "depends_on" not in data["resource"]["hypercore_vm_power_state"]["db"]


def test_bios_vm_clones_the_bios_template(tmp_path: Path) -> None:
    data = synth_text(tmp_path, BASE)
    assert data["resource"]["hypercore_vm"]["db"]["clone"] == {
        "source_vm_uuid": "${data.hypercore_vms.template-bios.vms[0].uuid}"
    }
    assert data["data"]["hypercore_vms"]["template-bios"] == {"name": "fleetform-template-bios"}


def test_empty_tags_are_sent_as_one_empty_string(tmp_path: Path) -> None:
    data = synth_text(tmp_path, BASE)
    assert data["resource"]["hypercore_vm"]["db"]["tags"] == [""]


def test_vm_without_description_gets_a_default_one(tmp_path: Path) -> None:
    # An empty description is never sent by the provider: the clone would keep its template's.
    data = synth_text(tmp_path, BASE)
    assert data["resource"]["hypercore_vm"]["db"]["description"] == "demo/db (managed by fleetform)"


def test_empty_description_on_a_cloned_vm_is_sent_with_a_located_warning(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "demo.yaml").write_text(
        BASE.replace("        state: shutoff\n", "        state: shutoff\n        description: ''\n")
    )
    result = synthesize([manifests], config_path=ROOT / "fleetform.yaml", outdir=tmp_path / "out")
    vm = json.loads(result.stack_file("demo").read_text())["resource"]["hypercore_vm"]["db"]
    assert vm["description"] == ""
    (warning,) = [w for w in result.warnings if "description" in w.message]
    assert warning.severity == "warning" and warning.location.line == 23  # the VM's name
    assert "the clone keeps its template's description" in warning.message


def test_template_syntax_in_cloud_init_is_escaped_for_terraform(tmp_path: Path) -> None:
    text = BASE.replace(
        "        state: shutoff\n",
        "        state: shutoff\n"
        "        description: 'costs ${5}'\n"
        "        cloud_init_data:\n"
        "          user_data: |\n"
        "            runcmd:\n"
        "              - echo ${HOME} %{if x}\n",
    )
    vm = synth_text(tmp_path, text)["resource"]["hypercore_vm"]["db"]
    assert vm["clone"]["user_data"] == "runcmd:\n  - echo $${HOME} %%{if x}\n"
    assert vm["description"] == "costs $${5}"


def test_disk_ids_come_from_names_and_reference_the_image(tmp_path: Path) -> None:
    disks = synth_text(tmp_path, BASE)["resource"]["hypercore_disk"]
    assert set(disks) == {"web__system", "web__data"}
    assert disks["web__system"]["source_virtual_disk_id"] == "${hypercore_virtual_disk.img.id}"
    assert disks["web__system"]["size"] == 21.47483648  # 20 GiB round-trips exactly
    assert disks["web__data"]["size"] == 10.737418240


def test_cdrom_with_iso_asset_attaches_an_uploaded_iso(tmp_path: Path) -> None:
    text = BASE.replace(
        "  resources:\n",
        '    - {name: installer, type: virtual_disk, format: iso, url: "https://images.example.com/x.iso"}\n'
        "  resources:\n",
    ).replace(
        "          - {name: data, type: virtio_disk, capacity: 10GiB}\n",
        "          - {name: data, type: virtio_disk, capacity: 10GiB}\n"
        "          - {name: media, type: ide_cdrom, source: installer, boot: 2}\n",
    )
    data = synth_text(tmp_path, text)
    assert data["resource"]["hypercore_iso"]["installer"] == {
        "name": "demo-installer.iso",
        "source_url": "https://images.example.com/x.iso",
    }
    cdrom = data["resource"]["hypercore_disk"]["web__media"]
    assert cdrom == {
        "vm_uuid": "${hypercore_vm.web.id}",
        "type": "IDE_CDROM",
        "iso_uuid": "${hypercore_iso.installer.id}",
        # The provider reads the ISO's size back into `size`, which a CD-ROM has no value for in a manifest.
        "lifecycle": {"ignore_changes": ["size"]},
    }
    assert data["resource"]["hypercore_vm_boot_order"]["web"]["boot_devices"][:2] == [
        "${hypercore_disk.web__system.id}",
        "${hypercore_disk.web__media.id}",
    ]


def test_sourced_disk_without_capacity_takes_the_mirrored_image_size(tmp_path: Path) -> None:
    image = tmp_path / "img.raw"
    image.write_bytes(b"\0" * 3_000_000)
    site = (
        (ROOT / "fleetform.yaml")
        .read_text()
        .replace("images: {}", f'images:\n  "https://images.example.com/img.raw": {image}')
    )
    (tmp_path / "fleetform.yaml").write_text(site)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "demo.yaml").write_text(BASE.replace(", capacity: 20GiB}", "}"))
    result = synthesize([manifests], config_path=tmp_path / "fleetform.yaml", outdir=tmp_path / "out")
    data = without_metadata(json.loads(result.stack_file("demo").read_text()))
    assert data["resource"]["hypercore_disk"]["web__system"]["size"] == 0.003
    assert data["resource"]["hypercore_virtual_disk"]["img"]["source_url"] == f"file:///{image}"


def test_sourced_disk_without_capacity_and_remote_image_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        synth_text(tmp_path, BASE.replace(", capacity: 20GiB}", "}"))
    (issue,) = caught.value.issues
    assert (issue.location.line, issue.location.col) == (17, 13)
    assert "has no capacity" in issue.message
    assert "mirror the image" in issue.hint
    assert not (tmp_path / "out" / "stacks").exists()


def test_invalid_manifest_keeps_the_previous_output(tmp_path: Path) -> None:
    synth_text(tmp_path, BASE)
    stack = tmp_path / "out" / "stacks" / "demo" / "cdk.tf.json"
    before = stack.read_text()
    with pytest.raises(InputError):
        synth_text(tmp_path, BASE.replace("cpu: 4", "cpu: 0"))
    assert stack.read_text() == before


def test_manifest_example_is_dedented_correctly() -> None:
    assert textwrap.dedent(BASE) == BASE
