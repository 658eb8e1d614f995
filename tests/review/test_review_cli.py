"""``fleetform review`` on saved plans: formats, output file and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from planfactory import PRIOR, plan_json, power, rc, vm, write_bundle
from typer.testing import CliRunner

from fleetform.cli import app


def review(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["review", *args])
    return result.exit_code, result.stdout


def test_nothing_dangerous_exits_0(tmp_path: Path) -> None:
    directory = write_bundle(
        tmp_path / "plans", {"shop": plan_json([rc("hypercore_vm.web", ["update"], vm(), vm(vcpu=4))], PRIOR)}
    )
    code, text = review(str(directory))
    assert code == 0 and text.startswith("<!-- fleetform-review -->")


def test_dangerous_changes_exit_2(tmp_path: Path) -> None:
    changes = [rc("hypercore_vm_power_state.web", ["update"], power(), power("SHUTOFF"))]
    directory = write_bundle(tmp_path / "plans", {"shop": plan_json(changes, PRIOR)})
    code, text = review(str(directory), "--format", "json")
    assert code == 2 and json.loads(text)["dangers"][0]["kind"] == "power-off"


def test_a_failed_plan_exits_1_and_still_renders(tmp_path: Path) -> None:
    directory = write_bundle(
        tmp_path / "plans", {}, entries={"shop": {"status": "failed", "message": "no provider"}}
    )
    code, text = review(str(directory))
    assert code == 1 and "❌ fleetform plan review: a plan failed" in text and "no provider" in text


def test_an_unreadable_directory_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["review", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "is not a directory" in result.output


def test_out_writes_a_file(tmp_path: Path) -> None:
    directory = write_bundle(tmp_path / "plans", {"shop": plan_json([], PRIOR)})
    code, text = review(str(directory), "--out", str(tmp_path / "review.md"))
    assert (
        code == 0 and text == "" and (tmp_path / "review.md").read_text().startswith("<!-- fleetform-review")
    )
