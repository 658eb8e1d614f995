"""The health gate through REST against the simulator: power state, guest IPs, timeouts, unreachable clusters."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from fleetform.hypercore.models import VirDomain
from fleetform.review.plan import parse_plan
from fleetform.simulator.testing import RunningSimulator, run_in_thread
from fleetform.site.config import Target, parse_config
from fleetform.terraform.rollout.health import Gate, VmCheck, failures, touched_vms


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with run_in_thread(task_seconds=0, vlans={10: "lan"}) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(sim: RunningSimulator) -> None:
    sim.admin.reset()
    sim.admin.set_timing(guest_agent=True, task_seconds=0)


def make_vm(sim: RunningSimulator, name: str, *, start: bool = True) -> str:
    session = requests.Session()
    session.auth = (sim.username, sim.password)
    base = f"{sim.url}/rest/v1"
    uuid = session.post(
        f"{base}/VirDomain",
        json={"dom": {"name": name, "mem": 1 << 30, "numVCPU": 1}, "options": {}},
        timeout=10,
    ).json()["createdUUID"]
    nic = {"virDomainUUID": uuid, "vlan": 10, "type": "VIRTIO"}
    assert session.post(f"{base}/VirDomainNetDevice", json=nic, timeout=10).status_code == 200
    if start:
        action = [{"virDomainUUID": uuid, "actionType": "START"}]
        assert session.post(f"{base}/VirDomain/action", json=action, timeout=10).status_code == 200
    return str(uuid)


def targets(url: str) -> dict[str, Target]:
    site = parse_config(f"clusters:\n  - {{name: store, host: '{url}'}}\n", "site.yaml")
    return {t.name: t for t in site.targets()}


def env(sim: RunningSimulator) -> dict[str, str]:
    return {"HC_USERNAME_STORE": sim.username, "HC_PASSWORD_STORE": sim.password}


def test_healthy_when_running_with_a_guest_ip(sim: RunningSimulator) -> None:
    make_vm(sim, "web")
    gate = Gate(targets(sim.url), env(sim))
    checks = {"shop--store": [VmCheck("shop--store", "web", "RUNNING", guest_ip=True)], "empty--store": []}
    results = gate.run(checks, {"store": ["shop--store", "empty--store"]}, timeout=5, interval=0.1)
    assert {name: r.ok for name, r in results.items()} == {"shop--store": True, "empty--store": True}


def test_a_vm_that_never_reports_a_guest_ip_fails_after_the_timeout(sim: RunningSimulator) -> None:
    sim.admin.set_timing(guest_agent=False)
    make_vm(sim, "web")
    started = time.monotonic()
    results = Gate(targets(sim.url), env(sim)).run(
        {"shop--store": [VmCheck("shop--store", "web", "RUNNING", guest_ip=True)]},
        {"store": ["shop--store"]},
        timeout=0.6,
        interval=0.1,
    )
    assert 0.5 < time.monotonic() - started < 5
    result = results["shop--store"]
    assert not result.ok and not result.unreachable
    assert result.message == "VM web has reported no guest IP address after 0.6 s"


def test_the_gate_waits_for_a_vm_that_comes_up(sim: RunningSimulator) -> None:
    uuid = make_vm(sim, "web", start=False)
    polls: list[tuple[int, int]] = []

    def on_poll(passed: int, total: int) -> None:
        polls.append((passed, total))
        # The VM comes up only after the gate has seen it down once (not after a sleep: under load the first
        # poll can come later than any fixed delay).
        if len(polls) == 1:
            session = requests.Session()
            session.auth = (sim.username, sim.password)
            session.post(
                f"{sim.url}/rest/v1/VirDomain/action",
                json=[{"virDomainUUID": uuid, "actionType": "START"}],
                timeout=10,
            )

    results = Gate(targets(sim.url), env(sim)).run(
        {"shop--store": [VmCheck("shop--store", "web", "RUNNING")]},
        {"store": ["shop--store"]},
        timeout=10,
        interval=0.1,
        on_poll=on_poll,
    )
    assert results["shop--store"].ok
    assert polls[0] == (0, 1) and polls[-1] == (1, 1)


def test_a_cluster_that_does_not_answer_is_unreachable(sim: RunningSimulator) -> None:
    results = Gate(targets("http://127.0.0.1:1"), env(sim)).run(
        {"shop--store": [VmCheck("shop--store", "web", "RUNNING")]},
        {"store": ["shop--store"]},
        timeout=0.3,
        interval=0.1,
    )
    assert results["shop--store"].unreachable
    assert results["shop--store"].message.startswith("cluster store unreachable:")


def test_a_stop_ends_the_wait(sim: RunningSimulator) -> None:
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    results = Gate(targets(sim.url), env(sim)).run(
        {"shop--store": [VmCheck("shop--store", "missing", "RUNNING")]},
        {"store": ["shop--store"]},
        timeout=30,
        interval=5,
        stop=stop,
    )
    assert time.monotonic() - started < 5
    assert results["shop--store"].message == "interrupted before it was healthy"


def test_what_fails_a_check() -> None:
    running = VirDomain.model_validate(
        {"uuid": "u", "name": "web", "state": "RUNNING", "netDevs": [{"uuid": "n", "ipv4Addresses": []}]}
    )
    assert failures(VmCheck("s", "web", "RUNNING"), running) is None
    assert failures(VmCheck("s", "web", "SHUTOFF"), running) == "VM web is RUNNING, not SHUTOFF"
    assert failures(VmCheck("s", "web", "RUNNING", guest_ip=True), running) == (
        "VM web has reported no guest IP address"
    )
    assert failures(VmCheck("s", "web", "RUNNING"), None) == "VM web is not on the cluster"


def test_the_vms_a_plan_touches() -> None:
    def change(address: str, actions: list[str]) -> dict[str, object]:
        kind, _, name = address.partition(".")
        return {
            "address": address,
            "mode": "managed",
            "type": kind,
            "name": name,
            "change": {"actions": actions, "before": None, "after": {}},
        }

    plan = parse_plan(
        {
            "format_version": "1.2",
            "resource_changes": [
                change("hypercore_vm.web", ["no-op"]),
                change("hypercore_disk.web__data", ["update"]),
                change("hypercore_vm.db", ["delete"]),
                change("hypercore_vm_power_state.cache", ["create"]),
                change("hypercore_nic.app-01__lan", ["delete", "create"]),
                change("hypercore_virtual_disk.image", ["create"]),
            ],
        }
    )
    assert touched_vms(plan) == {"web", "cache", "app-01"}
