"""Failures on the cluster end an apply with a clear message; the next apply converges with no duplicate
and no orphan; stacks applied at once lose nothing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.sandbox import TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

APP = """\
type: Application
version: "1.0.0"
metadata:
  name: NAME
spec:
  resources:
    - type: virdomain
      name: "NAME-{{ instance_id }}"
      x-fleetform: {replicas: 3}
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
        network_devices:
          - {name: web-net, type: virtio}
"""


@pytest.fixture
def box(tmp_path: Path, cli_config: Path) -> Iterator[Sandbox]:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "simulator") as sim:
        sandbox = Sandbox(tmp_path / "project", sim, cli_config)
        sandbox.write_manifest("shop", APP.replace("NAME", "shop"))
        sandbox.synth()
        yield sandbox


def words(text: str) -> str:
    """Terraform wraps its error text; compare with single spaces."""
    return " ".join(text.split())


def assert_converged(box: Sandbox, *stacks: str) -> None:
    vms = [vm for vm in box.simulator_vms() if not vm["name"].startswith("fleetform-template-")]
    names = [vm["name"] for vm in vms]
    assert len(names) == len(set(names)), f"duplicate VMs: {sorted(names)}"
    assert sorted(names) == sorted(f"{s}-0{i}" for s in stacks for i in (1, 2, 3))
    for vm in vms:
        assert [d["type"] for d in vm["blockDevs"]].count("VIRTIO_DISK") == 1, vm["name"]
        assert len(vm["netDevs"]) == 1, vm["name"]
        assert vm["state"] == "RUNNING", vm["name"]
    for stack in stacks:
        assert box.plan_exit(stack) == 0


def test_task_error_fails_apply_clearly_and_next_apply_converges(box: Sandbox) -> None:
    box.simulator.admin.add_fault(
        "task_error", path="/clone$", times=1, message="Clone failed: datastore busy"
    )
    failed = box.apply("shop", check=False)
    assert failed.returncode == 1
    # The provider's panic text: the task's state and record, HyperCore's message among its fields.
    text = words(failed.stdout + failed.stderr)
    assert "Error executing task: ERROR" in text and "Clone failed: datastore busy" in text
    box.apply("shop")
    assert_converged(box, "shop")


def test_http_503_fails_apply_clearly_and_next_apply_converges(box: Sandbox) -> None:
    box.simulator.admin.add_fault(
        "http_error", method="POST", path="/VirDomainNetDevice", status=503, times=2
    )
    failed = box.apply("shop", check=False)
    assert failed.returncode == 1
    # The real provider ignores the failed POST and dereferences the task it did not get: the 503 is lost.
    text = words(failed.stdout + failed.stderr)
    assert "hypercore_nic." in text and "nil pointer dereference" in text
    box.apply("shop")
    assert_converged(box, "shop")


def test_failure_after_the_vm_exists_leaves_no_orphan(box: Sandbox) -> None:
    # The PATCH after a clone fails: the VM exists on the cluster but not in Terraform's state.
    box.simulator.admin.add_fault(
        "task_error", method="PATCH", path="/VirDomain/[^/]+$", times=1, message="busy"
    )
    assert box.apply("shop", check=False).returncode == 1
    box.apply("shop")
    assert_converged(box, "shop")


def test_three_stacks_applied_at_once_at_parallelism_1_lose_nothing(box: Sandbox) -> None:
    # Production: stacks of one cluster may apply at once (their VMs differ), each at -parallelism=1.
    for name in ("cafe", "deli"):
        box.write_manifest(name, APP.replace("NAME", name))
    box.synth()
    stacks = ["shop", "cafe", "deli"]
    for stack in stacks:
        box.terraform(stack, "init", "-input=false", "-no-color")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda s: box.apply(s, check=False), stacks))
    assert [r.returncode for r in results] == [0, 0, 0], "\n".join(r.stdout + r.stderr for r in results)
    assert_converged(box, *stacks)


def test_parallelism_10_meets_the_busy_vm_and_parallelism_1_converges(box: Sandbox) -> None:
    # HyperCore answers HTTP 500 to a second task on a VM while one runs; that is why the provider asks for
    # -parallelism=1. A VM's disk and NIC are created at once at -parallelism=10 and collide.
    box.simulator.admin.set_timing(task_seconds=0.5)
    requests_before = len(box.simulator.admin.requests())
    hurried = box.apply("shop", "-parallelism=10", check=False)
    busy = [r for r in box.simulator.admin.requests()[requests_before:] if r["status"] == 500]
    assert busy, "no request met a busy VM"
    output = words(hurried.stdout + hurried.stderr)
    assert hurried.returncode != 0 or "HC3 is receiving too many requests" in output, output
    box.simulator.admin.set_timing(task_seconds=0.05)
    box.apply("shop")
    assert_converged(box, "shop")
