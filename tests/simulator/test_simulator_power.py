"""VirDomain/action: power state changes, the ACPI shutdown quirks, and the admin action log."""

from __future__ import annotations

import time

import pytest
from simsupport import Http

from fleetform.errors import ApiServerError
from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator


def _state(http: Http, uuid: str) -> tuple[str, str]:
    vm = http.one(f"/VirDomain/{uuid}")
    return vm["state"], vm["desiredDisposition"]


def test_start_runs_a_shutoff_vm(http: Http) -> None:
    uuid = http.create_vm("web")
    response = http.action(uuid, "START")
    assert http.task(response.json()["taskTag"])["state"] == "COMPLETE"
    assert _state(http, uuid) == ("RUNNING", "RUNNING")


def test_shutdown_answers_empty_task_tag_and_powers_off(http: Http) -> None:
    uuid = http.create_vm("web")
    http.action(uuid, "START")
    response = http.action(uuid, "SHUTDOWN")
    assert response.status_code == 200
    assert response.json()["taskTag"] == ""
    assert _state(http, uuid) == ("SHUTOFF", "SHUTOFF")


def test_shutdown_with_guest_delay_powers_off_later(sim: RunningSimulator, http: Http) -> None:
    sim.admin.set_timing(shutdown_seconds=0.6)
    uuid = http.create_vm("web")
    http.action(uuid, "START")
    http.action(uuid, "SHUTDOWN")
    assert _state(http, uuid) == ("RUNNING", "SHUTOFF")
    time.sleep(0.65)
    assert _state(http, uuid) == ("SHUTOFF", "SHUTOFF")


def test_stop_powers_off_at_once(http: Http) -> None:
    uuid = http.create_vm("web")
    http.action(uuid, "START")
    http.action(uuid, "STOP")
    assert _state(http, uuid) == ("SHUTOFF", "SHUTOFF")


def test_pause_then_start_resumes(http: Http) -> None:
    uuid = http.create_vm("web")
    http.action(uuid, "START")
    http.action(uuid, "PAUSE")
    assert _state(http, uuid) == ("PAUSED", "PAUSED")
    http.action(uuid, "START")
    assert _state(http, uuid) == ("RUNNING", "RUNNING")


def test_pause_of_shutoff_vm_fails_its_task(http: Http) -> None:
    uuid = http.create_vm("web")
    task = http.task(http.action(uuid, "PAUSE").json()["taskTag"])
    assert task["state"] == "ERROR"
    assert task["formattedMessage"]
    assert _state(http, uuid) == ("SHUTOFF", "SHUTOFF")


def test_reboot_keeps_running_vm_running(http: Http) -> None:
    uuid = http.create_vm("web")
    http.action(uuid, "START")
    assert http.task(http.action(uuid, "REBOOT").json()["taskTag"])["state"] == "COMPLETE"
    assert _state(http, uuid) == ("RUNNING", "RUNNING")


def test_reset_of_shutoff_vm_is_500_internal_error(http: Http) -> None:
    uuid = http.create_vm("web")
    response = http.action(uuid, "RESET")
    assert response.status_code == 500
    assert response.json() == {"error": "An internal error occurred"}


def test_unknown_action_type_is_400(http: Http) -> None:
    uuid = http.create_vm("web")
    assert http.action(uuid, "FORCE_STOP").status_code == 400


def test_action_body_must_be_an_array(http: Http) -> None:
    uuid = http.create_vm("web")
    response = http.post("/VirDomain/action", {"virDomainUUID": uuid, "actionType": "START"})
    assert response.status_code == 400


def test_action_on_missing_vm_is_404(http: Http) -> None:
    assert http.action("nope", "START").status_code == 404


def test_ignore_shutdown_fault_keeps_guest_running_until_stop(sim: RunningSimulator, http: Http) -> None:
    uuid = http.create_vm("stubborn")
    http.action(uuid, "START")
    sim.admin.add_fault("ignore_shutdown", vm="^stubborn$")
    http.action(uuid, "SHUTDOWN")
    assert _state(http, uuid) == ("RUNNING", "SHUTOFF")
    http.action(uuid, "STOP")
    assert _state(http, uuid) == ("SHUTOFF", "SHUTOFF")


def test_action_log_records_actions_in_order(sim: RunningSimulator, http: Http) -> None:
    db, web = http.create_vm("db"), http.create_vm("web")
    http.action(db, "START")
    http.action(web, "START")
    http.action(web, "SHUTDOWN")
    log = sim.admin.actions()
    assert [(a["name"], a["actionType"], a["state"]) for a in log] == [
        ("db", "START", "RUNNING"),
        ("web", "START", "RUNNING"),
        ("web", "SHUTDOWN", "SHUTOFF"),
    ]
    assert [a["seq"] for a in log] == sorted(a["seq"] for a in log)
    assert log[0]["time"] <= log[1]["time"] <= log[2]["time"]


def test_action_log_records_failed_action_with_error(sim: RunningSimulator, http: Http) -> None:
    uuid = http.create_vm("web")
    http.action(uuid, "PAUSE")
    (entry,) = sim.admin.actions()
    assert (entry["actionType"], entry["state"]) == ("PAUSE", "SHUTOFF")
    assert entry["error"]


def test_rest_client_sees_reset_on_shutoff_vm_as_server_error(http: Http, client: HypercoreClient) -> None:
    uuid = http.create_vm("web")
    with pytest.raises(ApiServerError):
        client.post(
            "/rest/v1/VirDomain/action", [{"virDomainUUID": uuid, "actionType": "RESET", "cause": "INTERNAL"}]
        )


def test_guest_agent_reports_ipv4_for_running_vm(sim: RunningSimulator, http: Http) -> None:
    sim.admin.set_timing(guest_agent=True)
    uuid = http.create_vm("web")
    http.add_nic(uuid, vlan=10)
    assert http.one(f"/VirDomain/{uuid}")["netDevs"][0]["ipv4Addresses"] == []
    http.action(uuid, "START")
    addresses = http.one(f"/VirDomain/{uuid}")["netDevs"][0]["ipv4Addresses"]
    assert len(addresses) == 1 and addresses[0].startswith("10.0.10.")
