"""Shared state in PostgreSQL (pg backend): Terraform's lock keeps two applies of one stack apart, and an
interrupted apply resumes cleanly."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.postgres import Postgres, running_postgres
from support.sandbox import TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

APP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
    - type: virdomain
      name: "shop-{{ instance_id }}"
      x-fleetform: {replicas: 4}
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


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def box(tmp_path: Path, cli_config: Path, postgres: Postgres) -> Iterator[Sandbox]:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "simulator") as sim:
        sandbox = Sandbox(tmp_path / "project", sim, cli_config, site_extra={"state": {"backend": "pg"}})
        sandbox.write_manifest("shop", APP)
        sandbox.synth()
        sandbox.extra_env = {"PG_CONN_STR": postgres.conn_str}
        sandbox.terraform("shop", "init", "-input=false", "-no-color")
        yield sandbox
        sandbox.simulator.admin.clear_faults()
        sandbox.apply("shop", "-destroy")


def start_apply(box: Sandbox) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["terraform", "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=1"],
        cwd=box.stack_dir("shop"),
        env=box.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_first_vm(box: Sandbox) -> None:
    deadline = time.monotonic() + 60
    while not [n for n in box.vms() if n.startswith("shop-")]:
        assert time.monotonic() < deadline, "the first apply never started creating VMs"
        time.sleep(0.1)


def assert_complete(box: Sandbox) -> None:
    names = [vm["name"] for vm in box.simulator_vms() if vm["name"].startswith("shop-")]
    assert sorted(names) == ["shop-01", "shop-02", "shop-03", "shop-04"]
    assert box.plan_exit("shop") == 0


def test_stack_state_lives_in_its_own_postgres_schema(box: Sandbox, postgres: Postgres) -> None:
    box.apply("shop")
    tables = subprocess.run(
        ["psql", postgres.conn_str, "-At", "-c", "select schema_name from information_schema.schemata"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "fleetform_shop" in tables
    assert_complete(box)


def test_two_applies_of_one_stack_do_not_both_run(box: Sandbox) -> None:
    box.simulator.admin.add_fault("latency", seconds=0.05)
    first = start_apply(box)
    wait_for_first_vm(box)
    second = box.apply("shop", check=False)
    first_out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, first_out
    assert second.returncode == 1
    assert "Error acquiring the state lock" in second.stdout + second.stderr
    box.simulator.admin.clear_faults()
    assert_complete(box)


def test_interrupted_apply_resumes_cleanly(box: Sandbox) -> None:
    box.simulator.admin.add_fault("latency", seconds=0.05)
    first = start_apply(box)
    wait_for_first_vm(box)
    first.send_signal(signal.SIGINT)
    output, _ = first.communicate(timeout=300)
    assert first.returncode != 0, output
    box.simulator.admin.clear_faults()
    box.apply("shop")
    assert_complete(box)
