"""A 300-VM change, planned for real against the simulator: the review stays under GitHub's comment limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reviewsupport import Reviewed, cli, plan_and_review
from support.sandbox import TEMPLATES, Sandbox

from fleetform.simulator.testing import run_in_thread

BIG = """\
type: Application
version: "1.0.0"
metadata:
  name: big
spec:
  resources:
    - type: virdomain
      name: "web-{{ instance_id }}"
      x-fleetform: {replicas: REPLICAS}
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: uefi
        state: running
        tags: [web]
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 20GiB, boot: 1}
          - {name: scratch, type: virtio_disk, capacity: 10GiB}
        network_devices:
          - {name: web-net, type: virtio}
          - {name: app-net, type: virtio}
DB"""
DB = """\
    - type: virdomain
      name: db
      spec:
        cpu: 2
        memory: 4GiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
          - {name: data, type: virtio_disk, capacity: 20GiB}
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[tuple[Sandbox, Reviewed]]:
    root = tmp_path_factory.mktemp("big")
    with run_in_thread(templates=TEMPLATES, data_dir=root / "simulator") as sim:
        box = Sandbox(root / "project", sim, cli_config)
        box.write_manifest("big", BIG.replace("REPLICAS", "1").replace("DB", DB))
        box.synth()
        box.apply("big")
        box.write_manifest("big", BIG.replace("REPLICAS", "300").replace("DB", ""))
        reviewed = plan_and_review(box, "plans", "--allow-data-loss")
        assert reviewed.plan_exit == 0, reviewed.plan_output
        yield box, reviewed


def test_300_vm_review_stays_under_the_limit_and_says_what_was_cut(big: tuple[Sandbox, Reviewed]) -> None:
    _, reviewed = big
    text = reviewed.markdown
    assert len(text) <= 60000
    assert "| `big` | " in text  # the summary row
    assert "Cut to stay under 60,000 characters" in text
    assert "details of " in text and "VMs" in text


def test_300_vm_review_keeps_every_dangerous_item(big: tuple[Sandbox, Reviewed]) -> None:
    _, reviewed = big
    assert "🛑💾 `big`: **DATA DISK** `data`" in reviewed.markdown
    for danger in reviewed.data["dangers"]:
        assert f"`{danger['address']}`" in reviewed.markdown


def test_300_vm_review_json_is_never_cut(big: tuple[Sandbox, Reviewed]) -> None:
    _, reviewed = big
    stack = reviewed.data["stacks"][0]
    created = [vm for vm in stack["vms"] if vm["action"] == "create"]
    assert len(created) == 299
    assert stack["counts"]["add"] == 299 * 7  # VM, 2 disks, 2 NICs, boot order, power state


@pytest.mark.parametrize("limit", [8000, 20000])
def test_smaller_limits_are_kept_too(big: tuple[Sandbox, Reviewed], limit: int) -> None:
    box, reviewed = big
    result = cli(box, "review", str(reviewed.directory), "--max-chars", str(limit))
    assert result.exit_code == 2
    assert len(result.stdout) <= limit
    assert "DATA DISK" in result.stdout and "Cut to stay under" in result.stdout
