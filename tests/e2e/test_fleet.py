"""One application on three simulated clusters picked by labels; replicas scaled up and down; startup order
seen in the order of power-on calls; a secret that never reaches the JSON or the plan output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from support.sandbox import TEMPLATES, Sandbox, changes

from fleetform.simulator.testing import RunningSimulator, run_in_thread

SECRET = "Tr0ub4dor&3-never-in-json"
APP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
  labels: ["environment:production"]
spec:
  resources:
    - type: virdomain
      name: db
      spec:
        description: "database on {{ clusterName }}"
        cpu: 2
        memory: 2GiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
          - {name: data, type: virtio_disk, capacity: 20GiB}
        cloud_init_data:
          user_data: |
            #cloud-config
            chpasswd:
              list: "root:{{ secret('db_root_password') }}"
    - type: virdomain
      name: "app-{{ instance_id }}"
      x-fleetform:
        replicas: "{{ app_replicas }}"
        depends_on: [db]
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        network_devices: [{name: app-net, type: virtio}]
    - type: virdomain
      name: web
      x-fleetform:
        depends_on: ["app-{{ instance_id }}"]
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
"""


@pytest.fixture
def fleet(tmp_path: Path, cli_config: Path) -> Iterator[tuple[Sandbox, dict[str, RunningSimulator]]]:
    with ExitStack() as stack:
        sims = {
            name: stack.enter_context(run_in_thread(templates=TEMPLATES, data_dir=tmp_path / name))
            for name in ("store-1", "store-2", "store-3", "lab")
        }
        clusters = [
            {
                "name": name,
                "host": sim.url,
                "selector": ["environment:test" if name == "lab" else "environment:production"],
            }
            for name, sim in sims.items()
        ]
        box = Sandbox(
            tmp_path / "project",
            sims["store-1"],
            cli_config,
            site_extra={"clusters": clusters, "variables": {"app_replicas": 3}},
        )
        credentials: dict[str, str] = {}
        for name, sim in sims.items():
            suffix = name.replace("-", "_")
            credentials[f"TF_VAR_hc_username_{suffix}"] = sim.username
            credentials[f"TF_VAR_hc_password_{suffix}"] = sim.password
        box.extra_env = {**credentials, "TF_VAR_secret_db_root_password": SECRET}
        box.write_manifest("shop", APP)
        yield box, sims


def names(sim: RunningSimulator, box: Sandbox) -> list[str]:
    box.simulator = sim
    return sorted(n for n in box.vms() if not n.startswith("fleetform-template-"))


def test_one_app_on_three_clusters_picked_by_labels(
    fleet: tuple[Sandbox, dict[str, RunningSimulator]],
) -> None:
    box, sims = fleet
    result = box.synth()
    assert result.stacks == ["shop--store-1", "shop--store-2", "shop--store-3"]
    for stack in result.stacks:
        box.apply(stack)
    for name in ("store-1", "store-2", "store-3"):
        assert names(sims[name], box) == ["app-01", "app-02", "app-03", "db", "web"]
        assert box.vms()["db"]["description"] == f"database on {name}"
    assert names(sims["lab"], box) == []


def test_scaling_adds_and_removes_only_the_last_replicas(
    fleet: tuple[Sandbox, dict[str, RunningSimulator]],
) -> None:
    box, sims = fleet
    box.synth()
    box.apply("shop--store-1")
    before = {n: v["uuid"] for n, v in box.vms().items()}

    box.write_site(clusters=box.site_extra["clusters"], variables={"app_replicas": 5})
    box.synth()
    planned = changes(box.plan_json("shop--store-1"))
    assert {a.split(".")[1].split("__")[0] for a in planned} == {"app-04", "app-05"}
    assert all(actions == ["create"] for actions in planned.values())
    box.apply("shop--store-1")
    assert names(sims["store-1"], box) == ["app-01", "app-02", "app-03", "app-04", "app-05", "db", "web"]
    assert all(box.vms()[n]["uuid"] == uuid for n, uuid in before.items())

    box.write_site(clusters=box.site_extra["clusters"], variables={"app_replicas": 3})
    box.synth()
    planned = changes(box.plan_json("shop--store-1"))
    assert {a.split(".")[1].split("__")[0] for a in planned} == {"app-04", "app-05"}
    assert all(actions == ["delete"] for actions in planned.values())
    box.apply("shop--store-1")
    assert names(sims["store-1"], box) == ["app-01", "app-02", "app-03", "db", "web"]


def test_vms_power_on_in_startup_order(fleet: tuple[Sandbox, dict[str, RunningSimulator]]) -> None:
    box, sims = fleet
    box.synth()
    box.apply("shop--store-2")
    starts = [a["name"] for a in sims["store-2"].admin.actions() if a["actionType"] == "START"]
    assert sorted(starts) == ["app-01", "app-02", "app-03", "db", "web"]
    assert starts[0] == "db" and starts[-1] == "web"


def test_secret_never_reaches_the_json_or_the_plan_output(
    fleet: tuple[Sandbox, dict[str, RunningSimulator]],
) -> None:
    box, sims = fleet
    box.synth()
    stack = box.stack_dir("shop--store-3")
    assert SECRET not in (stack / "cdk.tf.json").read_text()
    plan = box.terraform("shop--store-3", "plan", "-input=false", "-no-color", "-out=tfplan")
    assert SECRET not in plan.stdout + plan.stderr
    shown = box.terraform("shop--store-3", "show", "-no-color", "tfplan")
    assert SECRET not in shown.stdout
    applied = box.apply("shop--store-3")
    assert SECRET not in applied.stdout + applied.stderr
    box.simulator = sims["store-3"]
    import base64

    user_data = base64.b64decode(box.vms()["db"]["cloudInitData"]["userData"]).decode()
    assert f'list: "root:{SECRET}"' in user_data
    assert json.loads((stack / "cdk.tf.json").read_text())["variable"]["secret_db_root_password"]["sensitive"]
