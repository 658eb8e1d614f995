"""The CD-ROMs HyperCore attaches by itself: the cloud-init drive and the guest tools ISO.

Evidence: the Ansible collection's integration tests git_issue_50 (guest tools and cloud-init drives, their
slots, no guest tools for a non-Windows OS) and vm_clone/11_clone_stopped_cloudinit (a clone with cloud-init
has one disk more than its source).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from simsupport import Http

USER_DATA = base64.b64encode(b"#cloud-config\nhostname: web\n").decode()
CLOUD_INIT = {"userData": USER_DATA, "metaData": ""}


def create(http: Http, name: str, options: dict[str, Any] | None = None, **dom: Any) -> dict[str, Any]:
    response = http.post("/VirDomain", {"dom": {"name": name, **dom}, "options": options or {}})
    assert response.status_code == 200, response.text
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    return http.one(f"/VirDomain/{response.json()['createdUUID']}")


def cdroms(vm: dict[str, Any]) -> list[tuple[int, str]]:
    return [(d["slot"], d["name"]) for d in vm["blockDevs"] if d["type"] == "IDE_CDROM"]


def test_vm_created_with_cloud_init_gets_a_cloud_init_cdrom(http: Http) -> None:
    vm = create(
        http, "web", blockDevs=[{"type": "VIRTIO_DISK", "capacity": 10**10}], cloudInitData=CLOUD_INIT
    )
    ((slot, name),) = cdroms(vm)
    assert slot == 0 and re.fullmatch(r"cloud-init-[0-9a-f]+\.iso", name)
    assert vm["cloudInitData"]["userData"] == USER_DATA


def test_vm_without_cloud_init_gets_no_drive(http: Http) -> None:
    vm = create(http, "web", cloudInitData={"userData": "", "metaData": ""})
    assert vm["blockDevs"] == []


def test_guest_tools_then_cloud_init_take_the_next_free_ide_slots(http: Http) -> None:
    user_cdrom = {"type": "IDE_CDROM", "capacity": 0}
    vm = create(
        http,
        "win",
        {"attachGuestToolsISO": True},
        blockDevs=[{"type": "VIRTIO_DISK", "capacity": 10**10}, user_cdrom],
        operatingSystem="os_windows_server_2012",
        cloudInitData=CLOUD_INIT,
    )
    (user, tools, cloud_init) = cdroms(vm)
    assert user == (0, "")
    assert tools[0] == 1 and re.fullmatch(r"scale-guest-tools.*\.iso", tools[1])
    assert cloud_init[0] == 2 and cloud_init[1].startswith("cloud-init-")


def test_guest_tools_are_not_attached_to_a_vm_of_another_os(http: Http) -> None:
    vm = create(http, "linux", {"attachGuestToolsISO": True}, operatingSystem="os_other")
    assert cdroms(vm) == []


def test_clone_with_cloud_init_has_one_disk_more_than_its_source(http: Http) -> None:
    source = http.create_vm("src", blockDevs=[{"type": "VIRTIO_DISK", "capacity": 10**10}])
    clone = http.clone(source, "web", cloudInitData=CLOUD_INIT)
    source_devices = http.one(f"/VirDomain/{source}")["blockDevs"]
    clone_devices = http.one(f"/VirDomain/{clone}")["blockDevs"]
    assert len(clone_devices) == len(source_devices) + 1
    extra = clone_devices[-1]
    assert (extra["type"], extra["slot"]) == ("IDE_CDROM", 0)
    assert re.fullmatch(r"cloud-init-[0-9a-f]+\.iso", extra["name"]) and extra["path"]


def test_clone_of_a_vm_with_a_cloud_init_drive_keeps_one_drive(http: Http) -> None:
    first = create(http, "first", cloudInitData=CLOUD_INIT)
    clone = http.clone(first["uuid"], "second", cloudInitData=CLOUD_INIT)
    names = [name for _, name in cdroms(http.one(f"/VirDomain/{clone}"))]
    assert len(names) == 1 and names[0] == f"cloud-init-{clone[:8]}.iso"


def test_clone_without_cloud_init_adds_no_drive(http: Http) -> None:
    source = http.create_vm("src")
    clone = http.clone(source, "web")
    assert http.one(f"/VirDomain/{clone}")["blockDevs"] == []


def test_cloud_init_drive_does_not_block_a_user_cdrom_in_another_slot(http: Http) -> None:
    vm = create(http, "web", cloudInitData=CLOUD_INIT)
    response = http.post("/VirDomainBlockDevice", {"virDomainUUID": vm["uuid"], "type": "IDE_CDROM"})
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert sorted(slot for slot, _ in cdroms(http.one(f"/VirDomain/{vm['uuid']}"))) == [0, 1]
