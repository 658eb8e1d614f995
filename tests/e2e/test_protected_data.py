"""Data disks are protected: a deploy that would destroy one is refused unless it is said to be intended."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sandbox import PROJECT, TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

WEB = """\
    - type: virdomain
      name: web
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
"""
DB = """\
    - type: virdomain
      name: db
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
          - {name: data, type: virtio_disk, capacity: 20GiB}
"""
HEAD = 'type: Application\nversion: "1.0.0"\nmetadata:\n  name: shop\nspec:\n  resources:\n'


@pytest.fixture
def box(tmp_path: Path, cli_config: Path) -> Iterator[Sandbox]:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "simulator") as sim:
        sandbox = Sandbox(tmp_path / "project", sim, cli_config)
        sandbox.write_manifest("shop", HEAD + WEB + DB)
        assert fleetform(sandbox, "deploy", "--auto-approve").returncode == 0
        yield sandbox


def fleetform(box: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return box.fleetform(*args, *PROJECT)


def test_deploy_refuses_to_destroy_a_data_disk_and_applies_nothing(box: Sandbox) -> None:
    box.write_manifest("shop", HEAD + WEB)
    refused = fleetform(box, "deploy")
    assert refused.returncode == 1
    text = " ".join(refused.stderr.split())
    assert "data disk" in text and "db" in text and "--allow-data-loss" in text
    assert "nothing was applied" in text
    assert "db" in box.vms()


def test_deploy_with_allow_data_loss_destroys_the_vm_and_its_disks(box: Sandbox) -> None:
    box.write_manifest("shop", HEAD + WEB)
    allowed = fleetform(box, "deploy", "--allow-data-loss", "--auto-approve")
    assert allowed.returncode == 0, allowed.stderr
    assert "db" not in box.vms() and "web" in box.vms()


def test_destroy_keeps_protected_data_unless_allowed(box: Sandbox) -> None:
    kept = fleetform(box, "destroy", "--auto-approve")
    assert kept.returncode == 1
    text = " ".join(kept.stderr.split())
    assert "data disk 'data' of VM 'db'" in text and "--allow-data-loss" in text
    assert "nothing was destroyed" in text
    assert "-target" not in text and "Instance cannot be destroyed" not in text
    assert {"web", "db"} <= set(box.vms())
    destroyed = fleetform(box, "destroy", "--allow-data-loss", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stderr
    assert sorted(box.vms()) == sorted(TEMPLATES.values())


def test_destroy_without_a_terminal_asks_nobody_and_changes_nothing(box: Sandbox) -> None:
    refused = fleetform(box, "destroy", "--allow-data-loss")
    assert refused.returncode == 1
    assert "no terminal to ask on" in refused.stderr and "nothing was changed" in refused.stderr
    assert (
        "VM web: destroy" in refused.stdout
        and "Plan: 0 to add, 0 to change, 0 to replace, 9 to destroy." in refused.stdout
    )
    assert {"web", "db"} <= set(box.vms())
