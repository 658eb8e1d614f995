"""Changing, growing, shrinking and destroying an application on the simulator, with real Terraform."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sandbox import TEMPLATES, Sandbox, changes

from fleetform.simulator.testing import run_in_thread

APP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  assets:
    - {name: base, type: virtual_disk, format: raw, url: "https://storage.googleapis.com/demo-bucket/ubuntu-22.04-web.img"}
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: uefi
        state: running
        tags: [web]
        storage_devices:
          - {name: system, type: virtio_disk, source: base, boot: 1, capacity: 20GiB}
        network_devices:
          - {name: web-net, type: virtio}
          - {name: app-net, type: virtio}
    - type: virdomain
      name: db
      x-fleetform: {allow_data_loss: true}
      spec:
        cpu: 2
        memory: 4GiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
          - {name: data, type: virtio_disk, capacity: 20GiB}
        network_devices:
          - {name: db-net, type: virtio}
"""


@pytest.fixture
def box(tmp_path: Path, cli_config: Path) -> Iterator[Sandbox]:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "simulator") as sim:
        sandbox = Sandbox(tmp_path / "project", sim, cli_config)
        sandbox.write_manifest("shop", APP)
        sandbox.synth()
        sandbox.apply("shop")
        yield sandbox


def redeploy(box: Sandbox, text: str) -> dict[str, list[str]]:
    """Write the manifest, synth, and return the planned changes (then apply them)."""
    box.write_manifest("shop", text)
    box.synth()
    planned = changes(box.plan_json("shop"))
    box.apply("shop")
    assert box.plan_exit("shop") == 0
    return planned


def apps(box: Sandbox) -> dict[str, dict[str, object]]:
    return {n: v for n, v in box.vms().items() if not n.startswith("fleetform-template-")}


def test_changing_cpu_memory_and_tags_updates_in_place(box: Sandbox) -> None:
    before = box.vms()["web"]["uuid"]
    text = APP.replace("cpu: 2\n        memory: 2GiB", "cpu: 4\n        memory: 3GiB").replace(
        "[web]", "[web, frontend]"
    )
    assert redeploy(box, text) == {"hypercore_vm.web": ["update"]}
    web = box.vms()["web"]
    assert (web["uuid"], web["numVCPU"], web["mem"], web["tags"]) == (before, 4, 3 * 1024**3, "web,frontend")


def test_adding_a_disk_adds_only_that_disk(box: Sandbox) -> None:
    text = APP.replace(
        "          - {name: data, type: virtio_disk, capacity: 20GiB}\n",
        "          - {name: data, type: virtio_disk, capacity: 20GiB}\n          - {name: logs, type: virtio_disk, capacity: 10GiB}\n",
    )
    assert redeploy(box, text) == {"hypercore_disk.db__logs": ["create"]}
    assert len([d for d in box.vms()["db"]["blockDevs"] if d["type"] == "VIRTIO_DISK"]) == 3


def test_adding_a_nic_adds_it_and_puts_it_in_the_boot_order(box: Sandbox) -> None:
    text = APP.replace(
        "          - {name: db-net, type: virtio}\n",
        "          - {name: db-net, type: virtio}\n          - {name: app-net, type: virtio}\n",
    )
    assert redeploy(box, text) == {
        "hypercore_nic.db__app-net": ["create"],
        "hypercore_vm_boot_order.db": ["update"],
    }
    assert sorted(n["vlan"] for n in box.vms()["db"]["netDevs"]) == [30, 40]


def test_reordering_yaml_lists_plans_nothing(box: Sandbox) -> None:
    web, db = APP.split("    - type: virdomain\n")[1:]
    head = APP.split("    - type: virdomain\n")[0]
    web = web.replace(
        "          - {name: web-net, type: virtio}\n          - {name: app-net, type: virtio}\n",
        "          - {name: app-net, type: virtio}\n          - {name: web-net, type: virtio}\n",
    )
    box.write_manifest("shop", head + "    - type: virdomain\n" + db + "    - type: virdomain\n" + web)
    box.synth()
    assert box.plan_exit("shop") == 0


def test_removing_a_vm_destroys_only_its_resources(box: Sandbox) -> None:
    web_uuid = box.vms()["web"]["uuid"]
    text = APP.split("    - type: virdomain\n      name: db\n")[0]
    planned = redeploy(box, text)
    assert set(planned) == {
        "hypercore_vm.db",
        "hypercore_disk.db__system",
        "hypercore_disk.db__data",
        "hypercore_nic.db__db-net",
        "hypercore_vm_boot_order.db",
        "hypercore_vm_power_state.db",
    }
    assert all(actions == ["delete"] for actions in planned.values())
    assert list(apps(box)) == ["web"] and box.vms()["web"]["uuid"] == web_uuid


def test_destroy_leaves_only_the_templates(box: Sandbox) -> None:
    box.terraform("shop", "destroy", "-auto-approve", "-input=false", "-no-color")
    assert sorted(box.vms()) == sorted(TEMPLATES.values())
    assert apps(box) == {}
