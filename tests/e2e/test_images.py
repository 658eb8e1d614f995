"""Disk images without internet: the mirror in fleetform.yaml, and a clear failure when an image is missing."""

from __future__ import annotations

from pathlib import Path

from support.sandbox import TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

URL = "https://images.example.com/edge/base-2026.img"
APP = f"""\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  assets:
    - {{name: base, type: virtual_disk, format: raw, url: "{URL}"}}
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {{name: system, type: virtio_disk, source: base, boot: 1, capacity: 10GiB}}
"""


def test_mirrored_image_is_uploaded_from_the_local_file(tmp_path: Path, cli_config: Path) -> None:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "simulator") as sim:
        box = Sandbox(tmp_path / "project", sim, cli_config, images=[URL])
        box.write_manifest("shop", APP)
        box.synth()
        box.apply("shop")
        from fleetform.hypercore import HypercoreClient

        with HypercoreClient(sim.url, sim.username, sim.password) as client:
            [disk] = client.list_virtual_disks()
        assert disk.name == "shop-base.img"
        assert disk.capacity_bytes == (tmp_path / "project" / "images" / "base-2026.img").stat().st_size


def test_missing_image_fails_the_apply_naming_the_asset_and_the_path(
    tmp_path: Path, cli_config: Path
) -> None:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "simulator") as sim:
        box = Sandbox(tmp_path / "project", sim, cli_config, images=[URL])
        (tmp_path / "project" / "images" / "base-2026.img").unlink()
        box.write_manifest("shop", APP)
        result = box.synth()
        [warning] = [w for w in result.warnings if "does not exist" in w.message]
        assert "asset 'base'" in warning.message
        failed = box.apply("shop", check=False)
        assert failed.returncode == 1
        text = " ".join((failed.stdout + failed.stderr).split())
        assert "hypercore_virtual_disk.base" in text
        assert "base-2026.img" in text and "no such file or directory" in text
        # Terraform still creates what does not depend on the image; the disk that copies it is not created.
        assert [d for d in box.vms()["web"]["blockDevs"] if d["type"] == "VIRTIO_DISK"] == []
