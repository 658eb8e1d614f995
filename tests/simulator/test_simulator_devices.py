"""VirDomainBlockDevice and VirDomainNetDevice: create, update, delete, slots and the cluster's refusals."""

from __future__ import annotations

import re

from simsupport import TEMPLATES, Http

MAC = re.compile(r"^7C:4C:58(:[0-9A-F]{2}){3}$")


# --- block devices ------------------------------------------------------------------------------------


def test_block_device_create_accepts_trailing_slash_and_float_capacity(http: Http) -> None:
    vm = http.create_vm("web")
    body = {"virDomainUUID": vm, "type": "VIRTIO_DISK", "capacity": 1e10, "tieringPriorityFactor": 8}
    response = http.post("/VirDomainBlockDevice/", body)
    assert response.status_code == 200
    disk = http.one(f"/VirDomainBlockDevice/{response.json()['createdUUID']}")
    assert disk["capacity"] == 10_000_000_000 and type(disk["capacity"]) is int


def test_block_device_record_has_provider_fields_with_strict_types(http: Http) -> None:
    disk = http.one(f"/VirDomainBlockDevice/{http.add_disk(http.create_vm('web'))}")
    assert all(
        isinstance(disk[key], str) for key in ("uuid", "virDomainUUID", "type", "path", "name", "cacheMode")
    )
    assert all(type(disk[key]) is int for key in ("slot", "capacity", "allocation", "tieringPriorityFactor"))
    assert (disk["path"], disk["tieringPriorityFactor"], disk["readOnly"]) == ("", 8, False)


def test_block_device_slots_are_lowest_free_per_type(http: Http) -> None:
    vm = http.create_vm("web")
    first, second = http.add_disk(vm), http.add_disk(vm)
    ide = http.add_disk(vm, kind="IDE_DISK")
    http.delete(f"/VirDomainBlockDevice/{first}")
    third = http.add_disk(vm)
    slots = {d: http.one(f"/VirDomainBlockDevice/{d}")["slot"] for d in (second, ide, third)}
    assert slots == {second: 1, ide: 0, third: 0}


def test_firmware_devices_have_no_slot_and_do_not_take_disk_slots(http: Http) -> None:
    tpm = http.vm_named(TEMPLATES["tpm"])["uuid"]
    disk = http.add_disk(tpm)
    devices = http.one(f"/VirDomain/{tpm}")["blockDevs"]
    assert {d["type"]: d["slot"] for d in devices} == {"NVRAM": -1, "VTPM": -1, "VIRTIO_DISK": 0}
    assert http.one(f"/VirDomainBlockDevice/{disk}")["slot"] == 0


def test_block_device_with_description_is_400_property_not_allowed(http: Http) -> None:
    vm = http.create_vm("web")
    body = {"virDomainUUID": vm, "type": "VIRTIO_DISK", "capacity": 1e9, "description": "data"}
    response = http.post("/VirDomainBlockDevice", body)
    assert response.status_code == 400
    assert "Property not allowed" in response.json()["error"]


def test_block_device_with_unknown_type_is_400(http: Http) -> None:
    vm = http.create_vm("web")
    body = {"virDomainUUID": vm, "type": "NVME_DISK", "capacity": 1e9}
    assert http.post("/VirDomainBlockDevice", body).status_code == 400


def test_block_device_on_missing_vm_is_404(http: Http) -> None:
    body = {"virDomainUUID": "nope", "type": "VIRTIO_DISK", "capacity": 1e9}
    assert http.post("/VirDomainBlockDevice", body).status_code == 404


def test_block_device_capacity_can_grow(http: Http) -> None:
    disk = http.add_disk(http.create_vm("web"), 10e9)
    response = http.patch(f"/VirDomainBlockDevice/{disk}", {"capacity": 20e9})
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert http.one(f"/VirDomainBlockDevice/{disk}")["capacity"] == 20_000_000_000


def test_block_device_capacity_cannot_shrink(http: Http) -> None:
    disk = http.add_disk(http.create_vm("web"), 10e9)
    response = http.patch(f"/VirDomainBlockDevice/{disk}", {"capacity": 5e9})
    assert response.status_code == 400
    assert http.one(f"/VirDomainBlockDevice/{disk}")["capacity"] == 10_000_000_000


def test_block_device_patch_accepts_provider_payload_with_same_vm(http: Http) -> None:
    vm = http.create_vm("web")
    disk = http.add_disk(vm, 1073741824)
    body = {
        "virDomainUUID": vm,
        "type": "VIRTIO_DISK",
        "capacity": 1073741824.0000002,
        "tieringPriorityFactor": 16,
    }
    response = http.patch(f"/VirDomainBlockDevice/{disk}", body)
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert http.one(f"/VirDomainBlockDevice/{disk}")["tieringPriorityFactor"] == 16


def test_block_device_patch_moving_to_other_vm_is_400(http: Http) -> None:
    disk = http.add_disk(http.create_vm("web"))
    other = http.create_vm("db")
    assert http.patch(f"/VirDomainBlockDevice/{disk}", {"virDomainUUID": other}).status_code == 400


def test_disk_delete_from_running_vm_fails_still_in_use(http: Http) -> None:
    vm = http.create_vm("demo-vm")
    disk = http.add_disk(vm)
    http.action(vm, "START")
    task = http.task(http.delete(f"/VirDomainBlockDevice/{disk}").json()["taskTag"])
    assert task["state"] == "ERROR"
    assert task["formattedMessage"] == "Unable to delete block device from VM '%@': Still in use"
    assert task["messageParameters"] == ["demo-vm"]
    assert http.get(f"/VirDomainBlockDevice/{disk}").status_code == 200


def test_disk_delete_removes_it_from_boot_devices(http: Http) -> None:
    vm = http.create_vm("web")
    disk, nic = http.add_disk(vm), http.add_nic(vm)
    http.post(f"/VirDomain/{vm}", {"bootDevices": [disk, nic]})
    http.delete(f"/VirDomainBlockDevice/{disk}")
    assert http.one(f"/VirDomain/{vm}")["bootDevices"] == [nic]


def test_block_device_query_filter_is_400(http: Http) -> None:
    vm = http.create_vm("web")
    assert http.get(f"/VirDomainBlockDevice?virDomainUUID={vm}").status_code == 400


def test_block_device_get_returns_404_if_missing(http: Http) -> None:
    assert http.get("/VirDomainBlockDevice/nope").status_code == 404


def test_block_device_delete_returns_404_if_missing(http: Http) -> None:
    assert http.delete("/VirDomainBlockDevice/nope").status_code == 404


def test_block_device_list_contains_every_vm_disk(http: Http) -> None:
    disks = {http.add_disk(http.create_vm("a")), http.add_disk(http.create_vm("b"))}
    listed = {d["uuid"] for d in http.get("/VirDomainBlockDevice").json() if d["type"] == "VIRTIO_DISK"}
    assert listed == disks


# --- net devices --------------------------------------------------------------------------------------


def test_nic_create_generates_unique_scale_mac(http: Http) -> None:
    vm = http.create_vm("web")
    macs = [http.one(f"/VirDomainNetDevice/{http.add_nic(vm)}")["macAddress"] for _ in range(3)]
    assert all(MAC.match(mac) for mac in macs)
    assert len(set(macs)) == 3


def test_nic_record_has_provider_fields_with_strict_types(http: Http) -> None:
    nic = http.one(f"/VirDomainNetDevice/{http.add_nic(http.create_vm('web'), vlan=0)}")
    assert all(isinstance(nic[key], str) for key in ("uuid", "virDomainUUID", "type", "macAddress"))
    assert (type(nic["vlan"]), nic["vlan"], nic["connected"], nic["ipv4Addresses"]) == (int, 0, True, [])


def test_nic_create_keeps_given_mac(http: Http) -> None:
    nic = http.add_nic(http.create_vm("web"), macAddress="7c:4c:58:01:02:03")
    assert http.one(f"/VirDomainNetDevice/{nic}")["macAddress"] == "7C:4C:58:01:02:03"


def test_nic_on_unseeded_vlan_is_accepted(http: Http) -> None:
    nic = http.add_nic(http.create_vm("web"), vlan=999)
    assert http.one(f"/VirDomainNetDevice/{nic}")["vlan"] == 999


def test_nic_with_vlan_out_of_range_is_400(http: Http) -> None:
    body = {"virDomainUUID": http.create_vm("web"), "type": "VIRTIO", "vlan": 4095}
    assert http.post("/VirDomainNetDevice", body).status_code == 400


def test_nic_with_unknown_type_is_400(http: Http) -> None:
    body = {"virDomainUUID": http.create_vm("web"), "type": "E1000E", "vlan": 10}
    assert http.post("/VirDomainNetDevice", body).status_code == 400


def test_nic_with_vlan_as_string_is_400(http: Http) -> None:
    body = {"virDomainUUID": http.create_vm("web"), "type": "VIRTIO", "vlan": "10"}
    assert http.post("/VirDomainNetDevice", body).status_code == 400


def test_nic_patch_changes_vlan_and_type(http: Http) -> None:
    vm = http.create_vm("web")
    nic = http.add_nic(vm, vlan=10)
    response = http.patch(
        f"/VirDomainNetDevice/{nic}", {"virDomainUUID": vm, "type": "INTEL_E1000", "vlan": 20}
    )
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    record = http.one(f"/VirDomainNetDevice/{nic}")
    assert (record["type"], record["vlan"]) == ("INTEL_E1000", 20)


def test_nic_delete_removes_it_from_vm(http: Http) -> None:
    vm = http.create_vm("web")
    nic = http.add_nic(vm)
    assert http.task(http.delete(f"/VirDomainNetDevice/{nic}").json()["taskTag"])["state"] == "COMPLETE"
    assert http.one(f"/VirDomain/{vm}")["netDevs"] == []


def test_nic_get_returns_404_if_missing(http: Http) -> None:
    assert http.get("/VirDomainNetDevice/nope").status_code == 404


def test_nic_query_filter_is_400(http: Http) -> None:
    assert http.get("/VirDomainNetDevice?virDomainUUID=x").status_code == 400


def test_block_device_patch_accepts_the_collections_body_with_slot(http: Http) -> None:
    # The Ansible collection resizes with every field it knows, slot included (module_utils/disk.py).
    vm = http.create_vm("web")
    disk = http.add_disk(vm, 5 * 2**30)
    body = {
        "virDomainUUID": vm,
        "type": "VIRTIO_DISK",
        "cacheMode": "NONE",
        "capacity": 10 * 2**30,
        "slot": 0,
        "disableSnapshotting": False,
        "tieringPriorityFactor": 8,
        "readOnly": False,
    }
    response = http.patch(f"/VirDomainBlockDevice/{disk}", body)
    assert response.status_code == 200, response.text
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    record = http.one(f"/VirDomainBlockDevice/{disk}")
    assert (record["capacity"], record["slot"], record["cacheMode"]) == (10 * 2**30, 0, "NONE")


def test_block_device_patch_type_change_keeps_the_slot_sent(http: Http) -> None:
    vm = http.create_vm("web")
    disk = http.add_disk(vm, 5 * 2**30)
    body = {"type": "IDE_DISK", "slot": 0, "capacity": 6 * 2**30, "cacheMode": "WRITEBACK"}
    assert http.patch(f"/VirDomainBlockDevice/{disk}", body).status_code == 200
    record = http.one(f"/VirDomainBlockDevice/{disk}")
    assert (record["type"], record["slot"], record["cacheMode"]) == ("IDE_DISK", 0, "WRITEBACK")


def test_block_device_patch_to_a_slot_in_use_is_400(http: Http) -> None:
    vm = http.create_vm("web")
    first, _ = http.add_disk(vm), http.add_disk(vm)
    assert http.patch(f"/VirDomainBlockDevice/{first}", {"slot": 1}).status_code == 400


def test_block_device_patch_with_unknown_field_is_still_400(http: Http) -> None:
    vm = http.create_vm("web")
    disk = http.add_disk(vm)
    response = http.patch(f"/VirDomainBlockDevice/{disk}", {"description": "x"})
    assert response.status_code == 400 and "Property not allowed" in response.json()["error"]


def test_block_device_without_cache_mode_gets_none(http: Http) -> None:
    vm = http.create_vm("web")
    disk = http.add_disk(vm)
    assert http.one(f"/VirDomainBlockDevice/{disk}")["cacheMode"] == "NONE"


def test_nvram_has_a_fixed_size_and_vtpm_keeps_its_size(http: Http) -> None:
    vm = http.create_vm("web")
    nvram = http.add_disk(vm, 4200, kind="NVRAM", slot=0)  # a slot sent for NVRAM is ignored
    vtpm = http.add_disk(vm, 1024, kind="VTPM")
    records = [http.one(f"/VirDomainBlockDevice/{uuid}") for uuid in (nvram, vtpm)]
    assert [(r["slot"], r["capacity"]) for r in records] == [(-1, 540672), (-1, 1024)]
    patched = http.patch(f"/VirDomainBlockDevice/{nvram}", {"type": "NVRAM", "capacity": 4200, "slot": 3})
    assert patched.status_code == 200
    record = http.one(f"/VirDomainBlockDevice/{nvram}")
    assert (record["slot"], record["capacity"]) == (-1, 540672)
