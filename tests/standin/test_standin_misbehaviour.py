"""The stand-in misbehaves where the real provider v1.4.0 does, with real Terraform against the simulator.

Each test names the Go code that misbehaves. They assert the kind of failure (and what is left on the cluster
and in the state), so fleetform's protections can be tested against the same behaviour a real cluster gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.http_script import ScriptedServer
from support.workspace import Workspace, scratch_vm, words

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread

pytestmark = pytest.mark.e2e


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with run_in_thread() as running:
        yield running


@pytest.fixture
def box(tmp_path: Path, sim: RunningSimulator, cli_config: Path) -> Workspace:
    return Workspace(tmp_path / "tf", sim, cli_config)


def cluster(sim: RunningSimulator) -> HypercoreClient:
    return HypercoreClient(sim.url, sim.username, sim.password)


def test_refresh_of_a_vm_deleted_on_the_cluster_fails_and_keeps_it_in_the_state(box: Workspace) -> None:
    # GetOneVM/ListRecords: a 404 is a panic, never a removal from the state.
    box.write(resource={"hypercore_vm": {"lone": scratch_vm("lone")}})
    box.apply()
    uuid = box.values("hypercore_vm.lone")["id"]
    with cluster(box.simulator) as client:
        client.wait_task(client.delete(f"/rest/v1/VirDomain/{uuid}"))
    plan = box.terraform("plan", "-input=false", "-no-color", check=False)
    assert plan.returncode == 1
    assert "Error: Unexpected error" in plan.stderr and "unexpected response: 404" in words(plan)
    assert box.terraform("state", "list").stdout.split() == ["hypercore_vm.lone"]


def test_changing_a_power_state_in_place_ends_in_an_invalid_result_object(box: Workspace) -> None:
    # hypercore_vm_power_state Update never sets the computed `vm`, which the plan made unknown.
    def config(state: str) -> dict[str, object]:
        return {
            "hypercore_vm": {"web": scratch_vm("web")},
            "hypercore_vm_power_state": {"web": {"vm_uuid": "${hypercore_vm.web.id}", "state": state}},
        }

    box.write(resource=config("RUNNING"))
    box.apply()
    box.write(resource=config("SHUTOFF"))
    changed = box.apply(check=False)
    assert changed.returncode == 1
    text = words(changed)
    assert "Provider returned invalid result object after apply" in text
    assert "unknown value for hypercore_vm_power_state.web" in text
    with cluster(box.simulator) as client:
        [vm] = client.find_vms("web")
    assert vm.state == "SHUTOFF"  # the change itself was made
    assert box.plan_exit() == 0  # and the next refresh repairs the state


def test_an_image_url_answering_an_error_page_uploads_the_page_as_the_disk(box: Workspace) -> None:
    # FetchFileBinaryFromURL reads whatever http.Get answers; the status is never looked at.
    page = b"<html><body>404 Not Found</body></html>"
    with ScriptedServer() as images:
        images.answer("GET", "/ubuntu.img", 404, page)
        box.write(
            resource={
                "hypercore_virtual_disk": {
                    "img": {"name": "ubuntu.img", "source_url": f"{images.url}/ubuntu.img"}
                }
            }
        )
        box.apply()
    with cluster(box.simulator) as client:
        [disk] = client.list_virtual_disks()
    assert (disk.name, disk.capacity_bytes) == ("ubuntu.img", len(page))


def test_a_failed_delete_is_silent_and_leaves_the_object_on_the_cluster(box: Workspace) -> None:
    # DeleteRecord takes any status; without a task tag there is nothing to wait for and no error.
    vm = {"hypercore_vm": {"web": scratch_vm("web")}}
    nic = {"hypercore_nic": {"eth0": {"vm_uuid": "${hypercore_vm.web.id}", "type": "VIRTIO", "vlan": 0}}}
    box.write(resource={**vm, **nic})
    box.apply()
    nic_uuid = box.values("hypercore_nic.eth0")["id"]
    box.simulator.admin.add_fault(
        "http_error", method="DELETE", path="/VirDomainNetDevice/", status=500, times=1
    )
    box.write(resource=vm)
    box.apply()
    assert "hypercore_nic.eth0" not in box.state()
    with cluster(box.simulator) as client:
        [still] = client.get(f"/rest/v1/VirDomainNetDevice/{nic_uuid}")
    assert still["uuid"] == nic_uuid


def test_a_refused_create_is_not_retried_and_its_reason_is_lost(box: Workspace) -> None:
    # CreateNic ignores CreateRecord's error and reads the UUID of the task it did not get.
    box.write(resource={"hypercore_vm": {"web": scratch_vm("web")}})
    box.apply()
    box.simulator.admin.add_fault(
        "http_error", method="POST", path="/VirDomainNetDevice", status=503, times=1
    )
    box.simulator.admin.clear_requests()
    box.write(
        resource={
            "hypercore_vm": {"web": scratch_vm("web")},
            "hypercore_nic": {"eth0": {"vm_uuid": "${hypercore_vm.web.id}", "type": "VIRTIO", "vlan": 0}},
        }
    )
    failed = box.apply(check=False)
    assert failed.returncode == 1
    assert "nil pointer dereference" in words(failed) and "503" not in failed.stderr
    posts = [r for r in box.simulator.admin.requests() if r["method"] == "POST" and "NetDevice" in r["path"]]
    assert len(posts) == 1
    assert "hypercore_nic.eth0" not in box.state()


def test_an_update_the_cluster_refuses_is_saved_as_applied(box: Workspace) -> None:
    # hypercore_vm Update drops UpdateRecord's error: the state says vcpu 2, the cluster still has 1.
    box.write(resource={"hypercore_vm": {"web": scratch_vm("web")}})
    box.apply()
    box.simulator.admin.add_fault("http_error", method="PATCH", path="/VirDomain/", status=500, times=1)
    box.write(resource={"hypercore_vm": {"web": scratch_vm("web", vcpu=2)}})
    box.apply()
    with cluster(box.simulator) as client:
        [vm] = client.find_vms("web")
    assert vm.num_vcpu == 1
    assert box.terraform("show", "-json").stdout.count('"vcpu":2') == 1
    assert box.plan_exit() == 2  # only a refresh shows it again


def test_omitted_tags_panic_on_update_after_the_vm_exists(box: Workspace) -> None:
    # TagsListToCommaString slices [:-1] of "" when the list is empty.
    vm = scratch_vm("web")
    del vm["tags"]
    box.write(resource={"hypercore_vm": {"web": vm}})
    box.apply()
    box.write(resource={"hypercore_vm": {"web": {**vm, "vcpu": 2}}})
    failed = box.apply(check=False)
    assert failed.returncode == 1
    assert "slice bounds out of range" in words(failed)
