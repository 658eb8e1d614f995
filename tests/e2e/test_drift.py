"""fleetform drift: changes made on the cluster outside fleetform, reported in the review's format."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sandbox import PROJECT, TEMPLATES, Sandbox

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import run_in_thread

GiB = 1024**3
APP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
"""
VM = """\
    - type: virdomain
      name: NAME
      spec:
        cpu: 1
        memory: 2GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
        network_devices:
          - {name: web-net, type: virtio}
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("drift")
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        sandbox = Sandbox(root / "project", sim, cli_config)
        sandbox.write_manifest("shop", APP + "".join(VM.replace("NAME", n) for n in ("web", "api", "db")))
        sandbox.synth()
        sandbox.apply("shop")
        yield sandbox


def drift(box: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return box.fleetform("drift", *PROJECT, *args)


def client(box: Sandbox) -> HypercoreClient:
    return HypercoreClient(box.simulator.url, box.simulator.username, box.simulator.password)


def test_no_drift_right_after_a_deploy_exits_0(box: Sandbox) -> None:
    result = drift(box)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no drift" in result.stdout


def test_out_of_band_changes_are_reported_and_exit_2(box: Sandbox) -> None:
    vms = box.vms()
    with client(box) as api:
        api.wait_task(api.patch(f"/rest/v1/VirDomain/{vms['web']['uuid']}", {"mem": 4 * GiB}))
        api.wait_task(
            api.post(
                "/rest/v1/VirDomain/action",
                [{"virDomainUUID": vms["api"]["uuid"], "actionType": "STOP", "cause": "INTERNAL"}],
            )
        )
        api.wait_task(
            api.post(
                "/rest/v1/VirDomain/action",
                [{"virDomainUUID": vms["db"]["uuid"], "actionType": "STOP", "cause": "INTERNAL"}],
            )
        )
        api.wait_task(api.delete(f"/rest/v1/VirDomain/{vms['db']['uuid']}"))
    result = drift(box)
    assert result.returncode == 2, result.stdout + result.stderr
    report = result.stdout
    assert "changed outside fleetform" in report
    assert "2 GiB" in report and "4 GiB" in report
    assert "api" in report and "SHUTOFF" in report
    assert "deleted outside fleetform" in report and "db" in report
    assert "404" not in report + result.stderr
    assert "shop: VM db deleted outside fleetform (and 4 of its resources)" in " ".join(result.stderr.split())

    shown = drift(box, "--format", "json")
    data = json.loads(shown.stdout)
    kinds = {d["kind"] for d in data["dangers"]}
    assert "vm-destroyed" in kinds and "power-off" in kinds
    assert shown.returncode == 2


def test_apply_refuses_a_drift_report(box: Sandbox) -> None:
    applied = box.fleetform("apply", "drift")
    assert applied.returncode == 1
    assert "a drift report" in applied.stderr
