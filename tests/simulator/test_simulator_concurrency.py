"""Concurrent requests: every create and clone is kept exactly once, with unique MACs and slots."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from simsupport import TEMPLATES, Http

from fleetform.simulator.testing import RunningSimulator

WORKERS = 20


def test_concurrent_creates_and_clones_keep_every_vm_once(sim: RunningSimulator, http: Http) -> None:
    source = http.create_vm("source")
    http.add_nic(source, vlan=10)
    http.add_disk(source)
    before = {vm["uuid"] for vm in http.get("/VirDomain").json()}

    def make(index: int) -> str:
        worker = Http(sim)
        try:
            if index % 2:
                response = worker.post(f"/VirDomain/{source}/clone", {"template": {"name": f"clone-{index}"}})
            else:
                response = worker.post("/VirDomain", {"dom": {"name": f"new-{index}"}, "options": {}})
            assert response.status_code == 200, response.text
            assert worker.task(response.json()["taskTag"])["state"] == "COMPLETE"
            return str(response.json()["createdUUID"])
        finally:
            worker.session.close()

    with ThreadPoolExecutor(WORKERS) as pool:
        created = list(pool.map(make, range(WORKERS)))

    vms = http.get("/VirDomain").json()
    new = [vm for vm in vms if vm["uuid"] not in before]
    assert len(new) == WORKERS
    assert sorted(vm["uuid"] for vm in new) == sorted(created)
    assert len({vm["name"] for vm in new}) == WORKERS
    macs = [nic["macAddress"] for vm in vms for nic in vm["netDevs"]]
    assert len(macs) == len(set(macs)) == 1 + WORKERS // 2


def test_concurrent_disk_adds_get_distinct_slots(sim: RunningSimulator, http: Http) -> None:
    vm = http.vm_named(TEMPLATES["uefi"])["uuid"]

    def add(_: int) -> None:
        worker = Http(sim)
        try:
            worker.add_disk(vm)
        finally:
            worker.session.close()

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(add, range(10)))
    slots = sorted(d["slot"] for d in http.one(f"/VirDomain/{vm}")["blockDevs"] if d["type"] == "VIRTIO_DISK")
    assert slots == list(range(10))
