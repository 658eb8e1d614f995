"""One way to say one thing across commands: -h, plain metavars, shared option names, plurals, validate's output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetform.cli import app

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    ["validate"],
    ["synth"],
    ["targets"],
    ["deploy"],
    ["destroy"],
    ["plan"],
    ["review"],
    ["apply"],
    ["drift"],
    ["import"],
    ["graph"],
    ["schema"],
    ["init"],
    ["demo"],
    ["simulator", "serve"],
    ["simulator", "stop"],
]


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "-h"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_takes_h_and_shows_no_raw_type_names(command: list[str]) -> None:
    text = help_of(*command)
    assert "Usage: " in text and "Options" in text
    assert not re.search(r"<(list\[|bool|str|path|int|float)", text), text


def test_the_same_idea_has_the_same_option_name_everywhere() -> None:
    for command in ("deploy", "destroy", "plan", "apply", "drift"):
        text = help_of(command)
        assert "--stacks" in text and "--parallel " in text
        assert "--stack " not in text and "--concurrency" not in text
    for command in ("deploy", "destroy", "plan", "drift"):
        assert "--synth-dir" in help_of(command)
    for command in ("deploy", "destroy"):
        text = help_of(command)
        assert "--auto-approve" in text and "--simulator" in text


def project(tmp_path: Path, *names: str) -> Path:
    (tmp_path / "manifests").mkdir()
    for name in names:
        shutil.copy(ROOT / "manifests" / f"{name}.yaml", tmp_path / "manifests")
    shutil.copy(ROOT / "fleetform.yaml", tmp_path / "fleetform.yaml")
    return tmp_path


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, [*args, "-c", str(tmp_path / "fleetform.yaml")], env={"COLUMNS": "400"}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_validate_reports_the_warnings_synth_reports_each_kind_once_with_a_count(tmp_path: Path) -> None:
    root = project(tmp_path, "three-tier-webapp", "mixed-os-enterprise", "microservices-stack")
    code, _, validated = run(root, "validate", str(root / "manifests"))
    assert code == 0
    code, _, synthesized = run(root, "synth", "-m", str(root / "manifests"), "--out", str(root / "out"))
    assert code == 0
    warnings = [line for line in validated.splitlines() if ": warning: " in line or "more warning" in line]
    assert warnings == [
        line for line in synthesized.splitlines() if ": warning: " in line or "more warning" in line
    ]
    # The capacity rounding appears for 11 disks of the shipped manifests: once, with the count.
    rounding = [line for line in warnings if "cannot be expressed exactly" in line]
    assert len(rounding) == 1
    assert "... and 10 more warnings like this one: " in validated
    assert "ok: 3 applications, 12 VMs" in validated


def test_validate_counts_in_the_singular(tmp_path: Path) -> None:
    root = project(tmp_path, "three-tier-webapp")
    code, _, text = run(root, "validate", str(root / "manifests" / "three-tier-webapp.yaml"))
    assert code == 0 and "ok: 1 application, 5 VMs" in text


def test_validate_format_json(tmp_path: Path) -> None:
    root = project(tmp_path, "three-tier-webapp")
    code, out, _ = run(root, "validate", str(root / "manifests"), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["errors"] == []
    assert data["applications"] == 1 and data["vms"] == 5 and data["stacks"] == ["three-tier-webapp"]
    assert {w["severity"] for w in data["warnings"]} == {"warning"}
    assert all(w["path"].endswith("three-tier-webapp.yaml") and w["line"] for w in data["warnings"])

    (root / "manifests" / "broken.yaml").write_text(
        'type: Application\nversion: "1.0.0"\nmetadata: {name: x}\n'
    )
    code, out, _ = run(root, "validate", str(root / "manifests"), "-f", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert any(e["path"].endswith("broken.yaml") and e["line"] for e in data["errors"])


def test_the_repository_ignores_plans_and_drift_reports_and_its_readme_turns_usage_reporting_off() -> None:
    ignored = set((ROOT / ".gitignore").read_text().splitlines())
    assert {"/plans/", "/drift/", "*.tfplan", "state/", ".fleetform/"} <= ignored
    # Anchored: saved plans and drift reports at the top are ignored, the package's own plans/ sources never.
    for path, ignored_expected in (
        ("plans/shop/tfplan", True),
        ("drift/report.json", True),
        ("fleetform/terraform/plans/failures.py", False),
        ("tests/plans/test_day2_units.py", False),
    ):
        check = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT, check=False)
        assert (check.returncode == 0) is ignored_expected, path
    readme = (ROOT / "README.md").read_text()
    for line in readme.splitlines():
        if line.startswith(("npx cdktf", "cdktf ")):
            raise AssertionError(f"a README command runs cdktf with usage reporting on: {line}")
    assert "CHECKPOINT_DISABLE=1 npx cdktf synth" in readme


def test_json_output_is_asked_for_with_format_everywhere() -> None:
    for command in ("validate", "review", "drift", "targets"):
        text = help_of(command)
        assert "--format" in text and "json" in text and "--json " not in text


def test_defaults_written_in_help_texts_are_shown() -> None:
    # Rich takes "[...]" in a help text for markup and drops it unless escaped.
    assert "[default: manifests/]" in help_of("validate")
    assert "[default: ./fleetform.yaml]" in help_of("deploy")
