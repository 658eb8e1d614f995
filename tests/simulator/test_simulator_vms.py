"""VirDomain: create, clone, read, update and delete, and the JSON types of the records."""

from __future__ import annotations

import base64
from typing import Any

from simsupport import TEMPLATES, Http

from fleetform.hypercore import HypercoreClient

MIB = 1024 * 1024
B64_USER_DATA = base64.b64encode(b"#cloud-config\nhostname: web\n").decode()


def _vm_payload(name: str, **dom: Any) -> dict[str, Any]:
    return {"dom": {"name": name, **dom}, "options": {}}


# --- create -------------------------------------------------------------------------------------------


def test_create_vm_from_provider_minimal_body_returns_task_and_uuid(http: Http) -> None:
    body = {"dom": {"name": "web", "cloudInitData": {"userData": "", "metaData": ""}}, "options": {}}
    response = http.post("/VirDomain", body)
    assert response.status_code == 200
    assert set(response.json()) == {"taskTag", "createdUUID"}
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert http.one(f"/VirDomain/{response.json()['createdUUID']}")["name"] == "web"


def test_create_vm_is_shutoff_with_defaults(http: Http) -> None:
    vm = http.one(f"/VirDomain/{http.create_vm('web')}")
    assert (vm["state"], vm["desiredDisposition"]) == ("SHUTOFF", "SHUTOFF")
    assert (vm["machineType"], vm["machineTypeKeyword"]) == ("scale-bios-9.3", "bios")
    assert (vm["blockDevs"], vm["netDevs"], vm["bootDevices"]) == ([], [], [])


def test_vm_record_has_provider_fields_with_strict_types(http: Http) -> None:
    vm = http.one(f"/VirDomain/{http.create_vm('web', tags='a,b')}")
    strings = (
        "uuid",
        "nodeUUID",
        "name",
        "description",
        "tags",
        "state",
        "desiredDisposition",
        "machineType",
    )
    strings += ("machineTypeKeyword", "operatingSystem", "snapshotScheduleUUID", "sourceVirDomainUUID")
    strings += ("guestAgentState",)
    assert all(isinstance(vm[key], str) for key in strings)
    assert all(type(vm[key]) is int for key in ("mem", "numVCPU", "created"))
    assert vm["tags"] == "a,b"
    assert vm["affinityStrategy"] == {"strictAffinity": False, "preferredNodeUUID": "", "backupNodeUUID": ""}
    assert vm["cloudInitData"] == {"userData": "", "metaData": ""}
    assert isinstance(vm["latestTaskTag"]["taskTag"], str)


def test_create_vm_with_full_body_assigns_slots_and_maps_boot_labels(http: Http) -> None:
    dom = {
        "description": "Ubuntu web server",
        "tags": "prod,web",
        "mem": 4096 * MIB,
        "numVCPU": 2,
        "blockDevs": [
            {
                "type": "VIRTIO_DISK",
                "capacity": 20 * 1024**3,
                "cacheMode": "WRITETHROUGH",
                "uuid": "primaryDrive",
            },
            {"type": "VIRTIO_DISK", "capacity": 10 * 1024**3},
        ],
        "netDevs": [{"type": "VIRTIO", "vlan": 10, "connected": True}],
        "bootDevices": ["primaryDrive"],
        "cloudInitData": {"userData": B64_USER_DATA, "metaData": ""},
    }
    response = http.post(
        "/VirDomain", {"dom": {"name": "web", **dom}, "options": {"machineTypeKeyword": "uefi"}}
    )
    vm = http.one(f"/VirDomain/{response.json()['createdUUID']}")
    disks = [d for d in vm["blockDevs"] if d["type"] == "VIRTIO_DISK"]
    assert [d["slot"] for d in disks] == [0, 1]
    assert vm["bootDevices"] == [disks[0]["uuid"]]
    assert (vm["mem"], vm["numVCPU"], vm["machineType"]) == (4096 * MIB, 2, "scale-uefi-9.3")
    assert vm["cloudInitData"]["userData"] == B64_USER_DATA
    assert vm["netDevs"][0]["vlan"] == 10


def test_create_uefi_vm_gets_only_the_firmware_devices_the_client_sends(http: Http) -> None:
    # HyperCore adds no NVRAM/VTPM by itself: the client sends them (the Ansible collection's vm.py).
    bare = http.post("/VirDomain", {"dom": {"name": "u"}, "options": {"machineTypeKeyword": "uefi"}}).json()
    assert http.one(f"/VirDomain/{bare['createdUUID']}")["blockDevs"] == []
    dom = {"name": "t", "blockDevs": [{"type": "NVRAM", "capacity": 0}, {"type": "VTPM", "capacity": 2048}]}
    tpm = http.post("/VirDomain", {"dom": dom, "options": {"machineTypeKeyword": "tpm"}}).json()
    tpm_vm = http.one(f"/VirDomain/{tpm['createdUUID']}")
    devices = [(d["type"], d["slot"], d["capacity"]) for d in tpm_vm["blockDevs"]]
    # One NVRAM of HyperCore's fixed size and the VTPM as sent, both at slot -1.
    assert devices == [("NVRAM", -1, 540672), ("VTPM", -1, 2048)]
    assert tpm_vm["machineType"] == "scale-uefi-tpm-9.3"


def test_uefi_vm_created_with_its_nvram_has_exactly_one(http: Http) -> None:
    dom = {"name": "u", "blockDevs": [{"type": "IDE_CDROM", "capacity": 0}, {"type": "NVRAM", "capacity": 0}]}
    created = http.post("/VirDomain", {"dom": dom, "options": {"machineTypeKeyword": "uefi"}}).json()
    vm = http.one(f"/VirDomain/{created['createdUUID']}")
    assert [(d["type"], d["slot"]) for d in vm["blockDevs"]] == [("IDE_CDROM", 0), ("NVRAM", -1)]


def test_uefi_vm_without_nvram_does_not_start(http: Http) -> None:
    created = http.post(
        "/VirDomain", {"dom": {"name": "u"}, "options": {"machineTypeKeyword": "uefi"}}
    ).json()
    task = http.task(http.action(created["createdUUID"], "START").json()["taskTag"])
    assert task["state"] == "ERROR" and "NVRAM" in task["messageParameters"]
    assert http.one(f"/VirDomain/{created['createdUUID']}")["state"] == "SHUTOFF"


def test_seeded_templates_carry_their_firmware_devices(http: Http) -> None:
    kinds = {vm["name"]: sorted(d["type"] for d in vm["blockDevs"]) for vm in http.get("/VirDomain").json()}
    assert (kinds["tmpl-bios"], kinds["tmpl-uefi"], kinds["tmpl-tpm"]) == ([], ["NVRAM"], ["NVRAM", "VTPM"])


def test_create_vm_with_memory_not_a_whole_mib_is_400(http: Http) -> None:
    response = http.post("/VirDomain", _vm_payload("web", mem=1000))
    assert response.status_code == 400
    assert "mem" in response.json()["error"]


def test_create_vm_with_zero_vcpus_is_400(http: Http) -> None:
    assert http.post("/VirDomain", _vm_payload("web", numVCPU=0)).status_code == 400


def test_create_vm_with_unknown_property_is_400_property_not_allowed(http: Http) -> None:
    response = http.post("/VirDomain", _vm_payload("web", color="red"))
    assert response.status_code == 400
    assert "Property not allowed" in response.json()["error"]


def test_create_vm_with_null_name_is_400(http: Http) -> None:
    assert http.post("/VirDomain", {"dom": {"name": None}}).status_code == 400


def test_create_vm_with_invalid_json_is_400(http: Http) -> None:
    response = http.post("/VirDomain", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_create_vm_with_unknown_machine_type_is_400(http: Http) -> None:
    assert http.post("/VirDomain", _vm_payload("web", machineType="scale-99")).status_code == 400


def test_create_vm_with_unknown_affinity_node_is_400(http: Http) -> None:
    affinity = {"strictAffinity": True, "preferredNodeUUID": "not-a-node", "backupNodeUUID": ""}
    assert http.post("/VirDomain", _vm_payload("web", affinityStrategy=affinity)).status_code == 400


def test_duplicate_vm_names_are_allowed(http: Http) -> None:
    http.create_vm("twin")
    http.create_vm("twin")
    assert [vm["name"] for vm in http.get("/VirDomain").json()].count("twin") == 2


# --- read ---------------------------------------------------------------------------------------------


def test_list_vms_returns_seeded_templates(http: Http) -> None:
    names = {vm["name"] for vm in http.get("/VirDomain").json()}
    assert names == set(TEMPLATES.values())


def test_get_vm_returns_one_element_array(http: Http) -> None:
    uuid = http.create_vm("web")
    body = http.get(f"/VirDomain/{uuid}").json()
    assert isinstance(body, list) and [vm["uuid"] for vm in body] == [uuid]


def test_get_vm_returns_404_if_missing(http: Http) -> None:
    response = http.get("/VirDomain/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert isinstance(response.json()["error"], str)


def test_rest_client_reads_vm_as_model(http: Http, client: HypercoreClient) -> None:
    uuid = http.create_vm("web", mem=2048 * MIB, numVCPU=4, tags="x,y")
    vm = client.get_vm(uuid)
    assert vm is not None
    assert (vm.memory_mib, vm.num_vcpu, vm.tags) == (2048, 4, ["x", "y"])


# --- clone --------------------------------------------------------------------------------------------


def test_clone_copies_disks_with_new_uuids_and_same_slots(http: Http) -> None:
    source = http.create_vm("src")
    disk = http.add_disk(source, 10e9)
    clone = http.one(f"/VirDomain/{http.clone(source, 'copy')}")
    copied = clone["blockDevs"][0]
    assert copied["uuid"] != disk
    assert (copied["type"], copied["slot"], copied["capacity"]) == ("VIRTIO_DISK", 0, 10_000_000_000)
    assert copied["virDomainUUID"] == clone["uuid"]


def test_clone_gives_nics_new_macs(http: Http) -> None:
    source = http.create_vm("src")
    http.add_nic(source, vlan=20)
    original = http.one(f"/VirDomain/{source}")["netDevs"][0]
    copied = http.one(f"/VirDomain/{http.clone(source, 'copy')}")["netDevs"][0]
    assert copied["vlan"] == 20
    assert copied["macAddress"] != original["macAddress"]


def test_clone_with_template_net_devs_keeps_given_mac(http: Http) -> None:
    source = http.create_vm("src")
    nics = [{"type": "VIRTIO", "macAddress": "7C:4C:58:AA:BB:CC", "vlan": 30}]
    clone = http.one(f"/VirDomain/{http.clone(source, 'copy', netDevs=nics)}")
    assert [(n["macAddress"], n["vlan"]) for n in clone["netDevs"]] == [("7C:4C:58:AA:BB:CC", 30)]


def test_clone_keeps_machine_type_and_stores_cloud_init_base64(http: Http) -> None:
    tpm = http.vm_named(TEMPLATES["tpm"])
    cloud_init = {"userData": B64_USER_DATA, "metaData": base64.b64encode(b"instance-id: x").decode()}
    clone = http.one(f"/VirDomain/{http.clone(tpm['uuid'], 'win', cloudInitData=cloud_init)}")
    assert clone["machineTypeKeyword"] == "tpm"
    assert clone["cloudInitData"] == cloud_init
    assert (clone["state"], clone["bootDevices"]) == ("SHUTOFF", [])


def test_clone_with_cloud_init_not_base64_is_400(http: Http) -> None:
    source = http.create_vm("src")
    body = {"template": {"name": "copy", "cloudInitData": {"userData": "#cloud-config!", "metaData": ""}}}
    assert http.post(f"/VirDomain/{source}/clone", body).status_code == 400


def test_clone_of_missing_vm_is_404(http: Http) -> None:
    assert http.post("/VirDomain/nope/clone", {"template": {"name": "copy"}}).status_code == 404


def test_cloned_vm_is_findable_by_name_when_task_completes(http: Http, client: HypercoreClient) -> None:
    source = http.vm_named(TEMPLATES["bios"])["uuid"]
    task = client.post(f"/rest/v1/VirDomain/{source}/clone", {"template": {"name": "web-1"}})
    status = client.wait_task(task)
    assert status is not None and status.state == "COMPLETE"
    assert [vm.uuid for vm in client.find_vms("web-1")] == [task.created_uuid]


# --- update -------------------------------------------------------------------------------------------


def test_patch_vm_changes_only_sent_fields(http: Http) -> None:
    uuid = http.create_vm("web", description="keep")
    response = http.patch(f"/VirDomain/{uuid}", {"mem": 2048 * MIB, "numVCPU": 4, "tags": "a,b"})
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    vm = http.one(f"/VirDomain/{uuid}")
    assert (vm["mem"], vm["numVCPU"], vm["tags"], vm["description"]) == (2048 * MIB, 4, "a,b", "keep")


def test_patch_vm_merges_partial_affinity(http: Http) -> None:
    uuid = http.create_vm("web")
    node = http.get("/Node").json()[0]["uuid"]
    http.patch(f"/VirDomain/{uuid}", {"affinityStrategy": {"preferredNodeUUID": node}})
    http.patch(f"/VirDomain/{uuid}", {"affinityStrategy": {"strictAffinity": True}})
    affinity = http.one(f"/VirDomain/{uuid}")["affinityStrategy"]
    assert affinity == {"strictAffinity": True, "preferredNodeUUID": node, "backupNodeUUID": ""}


def test_patch_vm_with_machine_type_keyword_is_400(http: Http) -> None:
    uuid = http.create_vm("web")
    assert http.patch(f"/VirDomain/{uuid}", {"machineTypeKeyword": "uefi"}).status_code == 400


def test_patch_vm_machine_type_changes_no_devices(http: Http) -> None:
    uuid = http.create_vm("web")
    http.patch(f"/VirDomain/{uuid}", {"machineType": "scale-uefi-tpm-9.3"})
    vm = http.one(f"/VirDomain/{uuid}")
    assert (vm["machineTypeKeyword"], vm["blockDevs"]) == ("tpm", [])


def test_machine_type_change_on_a_running_vm_is_accepted_and_used_at_next_boot(http: Http) -> None:
    # The collection PATCHes machineType on a running VM, then adds the NVRAM and reboots (vm__machine_type).
    uuid = http.create_vm("web")
    assert http.task(http.action(uuid, "START").json()["taskTag"])["state"] == "COMPLETE"
    patched = http.patch(f"/VirDomain/{uuid}", {"machineType": "scale-uefi-9.3"})
    assert http.task(patched.json()["taskTag"])["state"] == "COMPLETE"
    assert http.one(f"/VirDomain/{uuid}")["state"] == "RUNNING"
    http.action(uuid, "STOP")
    http.add_disk(uuid, 540672, kind="NVRAM")
    assert http.task(http.action(uuid, "START").json()["taskTag"])["state"] == "COMPLETE"
    vm = http.one(f"/VirDomain/{uuid}")
    assert (vm["machineTypeKeyword"], vm["state"]) == ("uefi", "RUNNING")


def test_patch_vm_with_vcpus_over_limit_is_400(http: Http) -> None:
    uuid = http.create_vm("web")
    assert http.patch(f"/VirDomain/{uuid}", {"numVCPU": 129}).status_code == 400


def test_patch_missing_vm_is_404(http: Http) -> None:
    assert http.patch("/VirDomain/nope", {"name": "x"}).status_code == 404


def test_post_boot_devices_sets_boot_order(http: Http) -> None:
    uuid = http.create_vm("web")
    disk, nic = http.add_disk(uuid), http.add_nic(uuid)
    response = http.post(f"/VirDomain/{uuid}", {"bootDevices": [nic, disk]})
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert http.one(f"/VirDomain/{uuid}")["bootDevices"] == [nic, disk]


def test_boot_devices_of_another_vm_are_400(http: Http) -> None:
    uuid, other = http.create_vm("web"), http.create_vm("db")
    foreign = http.add_disk(other)
    assert http.post(f"/VirDomain/{uuid}", {"bootDevices": [foreign]}).status_code == 400


# --- delete -------------------------------------------------------------------------------------------


def test_delete_vm_removes_it_and_its_devices(http: Http) -> None:
    uuid = http.create_vm("web")
    disk = http.add_disk(uuid)
    response = http.delete(f"/VirDomain/{uuid}")
    assert response.status_code == 200
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert http.get(f"/VirDomain/{uuid}").status_code == 404
    assert http.get(f"/VirDomainBlockDevice/{disk}").status_code == 404


def test_delete_vm_returns_404_if_missing(http: Http) -> None:
    assert http.delete("/VirDomain/nope").status_code == 404


def test_delete_running_vm_fails_its_task_and_keeps_the_vm(http: Http) -> None:
    uuid = http.create_vm("web")
    http.action(uuid, "START")
    task = http.task(http.delete(f"/VirDomain/{uuid}").json()["taskTag"])
    assert task["state"] == "ERROR"
    assert "shut it down" in task["formattedMessage"]
    assert http.one(f"/VirDomain/{uuid}")["state"] == "RUNNING"
