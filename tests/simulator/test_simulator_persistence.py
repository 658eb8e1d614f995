"""State lives in SQLite under the data directory: a restart keeps everything, seeding is idempotent."""

from __future__ import annotations

from pathlib import Path

import requests
from simsupport import TEMPLATES, VLANS, Http

from fleetform.simulator.testing import run_in_thread


def test_restart_with_same_data_dir_keeps_vms_devices_and_images(tmp_path: Path) -> None:
    with run_in_thread(task_seconds=0, data_dir=tmp_path, templates=TEMPLATES) as sim:
        http = Http(sim)
        vm = http.create_vm("web", tags="prod")
        disk, nic = http.add_disk(vm, 20e9), http.add_nic(vm, vlan=20)
        http.action(vm, "START")
        image = http.put("/VirtualDisk/upload?filename=d.img&filesize=3", data=b"abc").json()["createdUUID"]
        before = http.one(f"/VirDomain/{vm}")
        sim.restart()
        http = Http(sim)
        after = http.one(f"/VirDomain/{vm}")
        assert after == before
        assert {d["uuid"] for d in after["blockDevs"]} == {disk} and after["netDevs"][0]["uuid"] == nic
        assert after["state"] == "RUNNING"
        assert http.one(f"/VirtualDisk/{image}")["capacityBytes"] == 3
        assert (sim.data_dir / "virtual-disks" / image).read_bytes() == b"abc"


def test_restart_keeps_sessions_and_finished_tasks(tmp_path: Path) -> None:
    with run_in_thread(data_dir=tmp_path) as sim:
        login = {"username": sim.username, "password": sim.password}
        cookies = {
            "sessionID": requests.post(f"{sim.url}/rest/v1/login", json=login, timeout=10).json()["sessionID"]
        }
        tag = Http(sim).post("/VirDomain", {"dom": {"name": "web"}}).json()["taskTag"]
        sim.restart()
        response = requests.get(f"{sim.url}/rest/v1/TaskTag/{tag}", cookies=cookies, timeout=10)
        assert response.status_code == 200
        assert response.json()[0]["state"] == "COMPLETE"


def test_seeding_again_adds_no_duplicate_templates(tmp_path: Path) -> None:
    with run_in_thread(data_dir=tmp_path, templates=TEMPLATES, vlans=VLANS) as sim:
        sim.restart()
        names = [vm["name"] for vm in Http(sim).get("/VirDomain").json()]
        assert sorted(names) == sorted(TEMPLATES.values())
        assert sim.admin.vlans() == [{"vlan": 10, "name": "public-net"}, {"vlan": 20, "name": "web-net"}]


def test_seeded_templates_are_empty_and_shutoff_with_their_machine_type(tmp_path: Path) -> None:
    with run_in_thread(data_dir=tmp_path, templates=TEMPLATES) as sim:
        vms = {vm["name"]: vm for vm in Http(sim).get("/VirDomain").json()}
    for kind, name in TEMPLATES.items():
        vm = vms[name]
        assert (vm["machineTypeKeyword"], vm["state"], vm["netDevs"]) == (kind, "SHUTOFF", [])
        assert all(d["type"] in ("NVRAM", "VTPM") for d in vm["blockDevs"])


def test_reset_wipes_cluster_and_seeds_again(tmp_path: Path) -> None:
    with run_in_thread(data_dir=tmp_path, templates={"bios": "tmpl"}) as sim:
        http = Http(sim)
        http.create_vm("web")
        http.put("/VirtualDisk/upload?filename=d.img&filesize=3", data=b"abc")
        sim.admin.reset()
        assert [vm["name"] for vm in http.get("/VirDomain").json()] == ["tmpl"]
        assert http.get("/VirtualDisk").json() == []
        assert sim.admin.actions() == []


def test_temporary_data_dir_is_removed_on_stop() -> None:
    with run_in_thread() as sim:
        data_dir = sim.data_dir
        assert (data_dir / "hypercore.sqlite3").is_file()
    assert not data_dir.exists()
