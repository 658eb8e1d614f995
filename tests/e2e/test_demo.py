"""`fleetform demo` (what `make demo` runs) in a copy of the project: the real cdktf CLI deploys the seed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("demo")
    for name in ("cdktf.json", "main.py", "fleetform.yaml"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "manifests", root / "manifests")
    for name in (".venv", "node_modules"):
        (root / name).symlink_to(ROOT / name)
    yield root
    fleetform(root, "simulator", "stop")


def fleetform(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    for name in ("HC_HOST", "HC_USERNAME", "HC_PASSWORD", "TF_CLI_CONFIG_FILE", "FLEETFORM_CONFIG"):
        env.pop(name, None)
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "fleetform"), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def table_rows(stdout: str) -> list[str]:
    """The VM rows of the table the demo prints (Rich draws them between │ bars)."""
    return [line for line in stdout.splitlines() if line.startswith("│") and "RUNNING" in line]


def test_demo_without_a_terminal_or_auto_approve_refuses(project: Path) -> None:
    run = fleetform(project, "demo")
    assert run.returncode == 1
    assert "no terminal to ask on" in run.stderr and "--auto-approve" in run.stderr


def test_demo_deploys_twelve_vms_with_cdktf_and_prints_them(project: Path) -> None:
    run = fleetform(project, "demo", "--auto-approve")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # The simulator mode works in its own synth directory: production's cdktf.out never gets the stand-in.
    assert (project / ".fleetform" / "cdktf.out" / "stacks" / "three-tier-webapp" / ".terraform").is_dir()
    assert not (project / "cdktf.out").exists()
    rows = table_rows(run.stdout)
    assert len(rows) == 12
    assert any("db-tier-primary" in row and "15 GiB" in row and "30, 40" in row for row in rows)
    assert "simulator: http://127.0.0.1:" in run.stderr and "password:" in run.stderr


def test_second_demo_changes_nothing(project: Path) -> None:
    run = fleetform(project, "demo", "--auto-approve")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.count("No changes.") == 3
    assert "0 added, 0 changed, 0 destroyed" in run.stdout
    assert len(table_rows(run.stdout)) == 12


def test_simulator_stop_ends_the_background_simulator(project: Path) -> None:
    assert (project / ".fleetform" / "simulator.json").is_file()
    stopped = fleetform(project, "simulator", "stop")
    assert stopped.returncode == 0
    assert not (project / ".fleetform" / "simulator.json").exists()
