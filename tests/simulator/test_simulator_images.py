"""VirtualDisk upload and attach, and ISO images."""

from __future__ import annotations

import struct

import requests
from simsupport import Http

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator

GB = 1000**3


def _qcow2(virtual_size: int) -> bytes:
    """The 32 bytes of a qcow2 header that matter here, plus a little padding."""
    return b"QFI\xfb" + struct.pack(">I", 3) + b"\0" * 16 + struct.pack(">Q", virtual_size) + b"\0" * 480


def _upload(http: Http, name: str, data: bytes, size: int | None = None) -> requests.Response:
    size = len(data) if size is None else size
    return http.put(
        f"/VirtualDisk/upload?filename={name}&filesize={size}",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )


# --- virtual disks ------------------------------------------------------------------------------------


def test_upload_raw_image_has_file_size_capacity(http: Http, client: HypercoreClient) -> None:
    task = client.upload("/rest/v1/VirtualDisk/upload", b"\0" * 4096, "disk.img")
    assert client.wait_task(task) is not None
    disk = client.get_virtual_disk(task.created_uuid)
    assert disk is not None
    assert (disk.name, disk.capacity_bytes) == ("disk.img", 4096)


def test_upload_qcow2_image_has_virtual_size_from_header(http: Http) -> None:
    response = _upload(http, "ubuntu.qcow2", _qcow2(3 * 1024**3))
    disk = http.one(f"/VirtualDisk/{response.json()['createdUUID']}")
    assert disk["capacityBytes"] == 3 * 1024**3
    assert disk["totalAllocationBytes"] == 512


def test_upload_qcow2_named_img_is_detected_by_header(http: Http) -> None:
    response = _upload(http, "ubuntu-22.04.img", _qcow2(2 * 1024**3))
    assert http.one(f"/VirtualDisk/{response.json()['createdUUID']}")["capacityBytes"] == 2 * 1024**3


def test_virtual_disk_record_has_wire_fields(http: Http) -> None:
    disk = http.one(f"/VirtualDisk/{_upload(http, 'd.raw', b'x' * 10).json()['createdUUID']}")
    assert set(disk) >= {
        "uuid",
        "name",
        "blockSize",
        "capacityBytes",
        "totalAllocationBytes",
        "replicationFactor",
    }


def test_upload_iso_as_virtual_disk_is_400_file_type_invalid(http: Http) -> None:
    response = _upload(http, "installer.iso", b"x" * 10)
    assert response.status_code == 400
    assert response.json()["error"] == "File type is invalid"


def test_upload_with_unknown_extension_is_400(http: Http) -> None:
    assert _upload(http, "disk.zip", b"x" * 10).status_code == 400


def test_upload_with_wrong_filesize_is_400(http: Http) -> None:
    assert _upload(http, "disk.img", b"x" * 10, size=11).status_code == 400


def test_upload_without_content_length_is_400(http: Http) -> None:
    chunks = iter([b"x" * 10])  # a generator body is sent chunked, without Content-Length
    response = http.put("/VirtualDisk/upload?filename=disk.img&filesize=10", data=chunks)
    assert response.status_code == 400
    assert http.get("/VirtualDisk").json() == []


def test_attach_creates_block_device_at_least_image_size(http: Http) -> None:
    vm = http.create_vm("web")
    image = _upload(http, "ubuntu.qcow2", _qcow2(3 * GB)).json()["createdUUID"]
    body = {
        "options": {"regenerateDiskID": False, "readOnly": False},
        "template": {
            "virDomainUUID": vm,
            "type": "VIRTIO_DISK",
            "capacity": 1 * GB,
            "tieringPriorityFactor": 8,
        },
    }
    response = http.post(f"/VirtualDisk/{image}/attach", body)
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    disk = http.one(f"/VirDomainBlockDevice/{response.json()['createdUUID']}")
    assert (disk["virDomainUUID"], disk["type"], disk["capacity"], disk["slot"]) == (
        vm,
        "VIRTIO_DISK",
        3 * GB,
        0,
    )


def test_attach_with_larger_capacity_keeps_it(http: Http) -> None:
    vm = http.create_vm("web")
    image = _upload(http, "disk.raw", b"\0" * 1024).json()["createdUUID"]
    body = {"template": {"virDomainUUID": vm, "type": "VIRTIO_DISK", "capacity": 50 * GB}}
    device = http.post(f"/VirtualDisk/{image}/attach", body).json()["createdUUID"]
    assert http.one(f"/VirDomainBlockDevice/{device}")["capacity"] == 50 * GB


def test_attach_of_missing_virtual_disk_is_404(http: Http) -> None:
    body = {"template": {"virDomainUUID": http.create_vm("web"), "type": "VIRTIO_DISK"}}
    assert http.post("/VirtualDisk/nope/attach", body).status_code == 404


def test_delete_virtual_disk_removes_it_and_its_file(sim: RunningSimulator, http: Http) -> None:
    uuid = _upload(http, "disk.img", b"x" * 10).json()["createdUUID"]
    assert (sim.data_dir / "virtual-disks" / uuid).is_file()
    assert http.task(http.delete(f"/VirtualDisk/{uuid}").json()["taskTag"])["state"] == "COMPLETE"
    assert http.get(f"/VirtualDisk/{uuid}").status_code == 404
    assert not (sim.data_dir / "virtual-disks" / uuid).exists()


# --- ISO ----------------------------------------------------------------------------------------------


def _create_iso(http: Http, name: str = "tools.iso", data: bytes = b"ISO" * 100) -> str:
    response = http.post("/ISO", {"name": name, "size": len(data), "readyForInsert": False})
    assert response.status_code == 200, response.text
    uuid = str(response.json()["createdUUID"])
    upload = http.put(f"/ISO/{uuid}/data/", data=data, headers={"Content-Type": "application/octet-stream"})
    assert upload.status_code == 200
    http.patch(f"/ISO/{uuid}", {"readyForInsert": True})
    return uuid


def test_iso_create_upload_and_ready(http: Http) -> None:
    iso = http.one(f"/ISO/{_create_iso(http)}")
    assert (iso["name"], iso["size"], iso["readyForInsert"], iso["mounts"]) == ("tools.iso", 300, True, [])
    assert iso["path"] == f"scribe/{iso['uuid']}"


def test_iso_name_without_iso_extension_is_400(http: Http) -> None:
    assert http.post("/ISO", {"name": "tools.img", "size": 1, "readyForInsert": False}).status_code == 400


def test_iso_with_existing_name_is_400(http: Http) -> None:
    _create_iso(http)
    assert http.post("/ISO", {"name": "tools.iso", "size": 1, "readyForInsert": False}).status_code == 400


def test_iso_inserted_into_cdrom_shows_name_and_mount(http: Http) -> None:
    iso = http.one(f"/ISO/{_create_iso(http)}")
    vm = http.create_vm("web")
    cdrom = http.add_disk(vm, 0, kind="IDE_CDROM", path=iso["path"])
    device = http.one(f"/VirDomainBlockDevice/{cdrom}")
    assert (device["path"], device["name"]) == (iso["path"], "tools.iso")
    assert http.one(f"/ISO/{iso['uuid']}")["mounts"] == [{"vmUUID": vm, "vmName": "web"}]


def test_cdrom_with_unknown_iso_path_is_400(http: Http) -> None:
    body = {"virDomainUUID": http.create_vm("web"), "type": "IDE_CDROM", "capacity": 0, "path": "scribe/nope"}
    assert http.post("/VirDomainBlockDevice", body).status_code == 400


def test_iso_delete_removes_it(http: Http) -> None:
    uuid = _create_iso(http)
    assert http.task(http.delete(f"/ISO/{uuid}").json()["taskTag"])["state"] == "COMPLETE"
    assert http.get(f"/ISO/{uuid}").status_code == 404


def test_iso_data_upload_to_missing_iso_is_404(http: Http) -> None:
    assert http.put("/ISO/nope/data/", data=b"x").status_code == 404
