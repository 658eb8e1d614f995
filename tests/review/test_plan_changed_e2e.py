"""``fleetform plan --changed`` plans only what changed since the cluster last matched, and a plan reuses an
initialized working directory instead of running ``terraform init`` again."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from reviewsupport import cli, plan
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
      name: NAME-vm
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
"""


@pytest.fixture
def box(tmp_path: Path, cli_config: Path) -> Iterator[Sandbox]:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "sim") as sim:
        sandbox = Sandbox(tmp_path / "project", sim, cli_config)
        for name in ("one", "two", "three"):
            sandbox.write_manifest(name, APP.replace("NAME", name))
        yield sandbox


def planned(box: Sandbox, out: str) -> dict[str, dict[str, object]]:
    stacks: dict[str, dict[str, object]] = json.loads((box.root / out / "manifest.json").read_text())[
        "stacks"
    ]
    return stacks


def test_changed_plans_what_changed_since_the_last_apply_or_no_op_plan(box: Sandbox) -> None:
    first = plan(box, "p1", "--changed")
    assert first.exit_code == 0, first.output
    assert sorted(planned(box, "p1")) == ["one", "three", "two"]  # nothing settled yet
    applied = cli(box, "apply", str(box.root / "p1"))
    assert applied.exit_code == 0, applied.output

    nothing = plan(box, "p2", "--changed")
    assert nothing.exit_code == 0, nothing.output
    assert planned(box, "p2") == {}
    assert "3 stacks unchanged" in nothing.output

    (box.manifests / "two.yaml").write_text(APP.replace("NAME", "two").replace("cpu: 1", "cpu: 2"))
    (box.manifests / "three.yaml").unlink()
    some = plan(box, "p3", "--changed")
    assert some.exit_code == 0, some.output
    stacks = planned(box, "p3")
    assert sorted(stacks) == ["three", "two"]
    assert stacks["three"]["orphan"] is True and stacks["two"]["changes"] is True

    # Planned but not applied: still not settled, so planned again; a full plan without --changed plans all.
    assert plan(box, "p4", "--changed").exit_code == 0
    assert sorted(planned(box, "p4")) == ["three", "two"]
    assert plan(box, "p5").exit_code == 0
    assert sorted(planned(box, "p5")) == ["one", "three", "two"]


def test_a_plan_reuses_the_initialized_working_directory(box: Sandbox) -> None:
    assert plan(box, "p1").exit_code == 0
    # Any `terraform init` from now on fails: the second plan must not need one.
    again = plan(box, "p2", TF_CLI_ARGS_init="-no-such-flag")
    assert again.exit_code == 0, again.output
    assert {s["status"] for s in planned(box, "p2").values()} == {"planned"}

    # Another Terraform CLI configuration may install other providers: init runs again (and fails, as told).
    other = box.root / "other.terraformrc"
    other.write_text(box.cli_config.read_text() + "\n")
    moved = plan(box, "p3", TF_CLI_ARGS_init="-no-such-flag", TF_CLI_CONFIG_FILE=str(other))
    assert moved.exit_code == 1
    assert {s["status"] for s in planned(box, "p3").values()} == {"failed"}

    # A working directory that lost its providers: the plan says init is needed, and fleetform runs it.
    for stack in ("one", "two", "three"):
        shutil.rmtree(box.stack_dir(stack) / ".terraform" / "providers")
    repaired = plan(box, "p4")
    assert repaired.exit_code == 0, repaired.output


def test_plan_text_of_a_plan_without_changes_is_what_terraform_show_prints(box: Sandbox) -> None:
    assert plan(box, "p1").exit_code == 0
    assert cli(box, "apply", str(box.root / "p1")).exit_code == 0
    assert plan(box, "p2").exit_code == 0
    for stack in ("one", "two", "three"):
        directory = box.root / "p2" / stack
        assert json.loads((directory / "plan.json").read_text())["resource_changes"]
        shown = box.terraform(stack, "show", "-no-color", str(directory / "tfplan"))
        assert (directory / "plan.txt").read_text() == shown.stdout
        assert "No changes." in shown.stdout
