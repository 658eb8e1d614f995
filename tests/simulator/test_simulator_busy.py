"""Busy VMs: HyperCore answers HTTP 500 to a second task on a VM while the first is still running."""

from __future__ import annotations

import time

import pytest
from simsupport import Http

from fleetform.errors import ApiServerError
from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread

BUSY = {"error": "An internal error occurred"}


@pytest.fixture
def slow(sim: RunningSimulator) -> RunningSimulator:
    sim.admin.set_timing(task_seconds=0.5)
    return sim


def test_second_task_on_a_busy_vm_is_http_500(slow: RunningSimulator, http: Http) -> None:
    vm = http.create_vm("web")  # waits: the create task completed
    first = http.post("/VirDomainBlockDevice", {"virDomainUUID": vm, "type": "VIRTIO_DISK", "capacity": 1e9})
    assert first.status_code == 200
    second = http.post("/VirDomainNetDevice", {"virDomainUUID": vm, "type": "VIRTIO", "vlan": 10})
    assert (second.status_code, second.json()) == (500, BUSY)
    # Nothing of the refused request happened, and the first task still completes.
    assert http.one(f"/VirDomain/{vm}")["netDevs"] == []
    time.sleep(0.55)
    assert http.task(first.json()["taskTag"])["state"] == "COMPLETE"
    assert http.post("/VirDomainNetDevice", {"virDomainUUID": vm, "vlan": 10}).status_code == 200


def test_patch_power_and_delete_are_refused_while_busy(slow: RunningSimulator, http: Http) -> None:
    vm = http.create_vm("web")
    assert http.patch(f"/VirDomain/{vm}", {"description": "a"}).status_code == 200
    assert http.patch(f"/VirDomain/{vm}", {"description": "b"}).status_code == 500
    assert http.action(vm, "START").status_code == 500
    assert http.action(vm, "SHUTDOWN").status_code == 500
    assert http.delete(f"/VirDomain/{vm}").status_code == 500
    assert http.post(f"/VirDomain/{vm}/clone", {"template": {"name": "copy"}}).status_code == 500


def test_reads_and_other_vms_are_never_busy(slow: RunningSimulator, http: Http) -> None:
    web, db = http.create_vm("web"), http.create_vm("db")
    assert http.patch(f"/VirDomain/{web}", {"description": "a"}).status_code == 200
    assert http.get(f"/VirDomain/{web}").status_code == 200
    assert http.patch(f"/VirDomain/{db}", {"description": "a"}).status_code == 200


def test_a_client_that_waits_for_each_task_never_sees_the_500(slow: RunningSimulator) -> None:
    with HypercoreClient(slow.url, slow.username, slow.password, retries=0) as client:
        created = client.post("/rest/v1/VirDomain", {"dom": {"name": "web"}, "options": {}})
        client.wait_task(created, poll_interval=0.05)
        for description in ("a", "b", "c"):
            client.wait_task(
                client.patch(f"/rest/v1/VirDomain/{created.created_uuid}", {"description": description}),
                poll_interval=0.05,
            )
        client.post(f"/rest/v1/VirDomain/{created.created_uuid}", {"bootDevices": []})
        with pytest.raises(ApiServerError) as raised:
            client.patch(f"/rest/v1/VirDomain/{created.created_uuid}", {"description": "d"})
        assert raised.value.status == 500 and "An internal error occurred" in str(raised.value)


def test_second_acpi_shutdown_before_the_guest_acts_is_http_500(sim: RunningSimulator, http: Http) -> None:
    sim.admin.set_timing(shutdown_seconds=1)
    vm = http.create_vm("web")
    http.action(vm, "START")
    assert http.action(vm, "SHUTDOWN").json()["taskTag"] == ""
    assert http.action(vm, "SHUTDOWN").status_code == 500
    assert http.task(http.action(vm, "STOP").json()["taskTag"])["state"] == "COMPLETE"


def test_busy_model_can_be_turned_off(slow: RunningSimulator, http: Http) -> None:
    slow.admin.set_timing(busy_vms=False)
    vm = http.create_vm("web")
    assert http.patch(f"/VirDomain/{vm}", {"description": "a"}).status_code == 200
    assert http.patch(f"/VirDomain/{vm}", {"description": "b"}).status_code == 200


def test_tasks_take_time_and_busy_vms_are_on_by_default() -> None:
    with run_in_thread() as sim:
        settings = sim.admin.call("GET", "/settings")
        assert settings["busyVms"] is True and settings["taskSeconds"] > 0
