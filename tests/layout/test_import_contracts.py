"""The one-way imports of docs/architecture.md, enforced by import-linter (``make lint`` runs ``lint-imports``).

The contracts live in pyproject.toml (``[tool.importlinter]``). These tests run them on the package, keep them
complete (a new top-level module must take its place in a layer, and the simulator and the stand-in stay
forbidden from all of it), and prove that each contract fails when the rule is broken.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
SEPARATE_PROGRAMS = {"fleetform.simulator", "fleetform.standin_provider"}


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _top_level_modules() -> set[str]:
    package = ROOT / "fleetform"
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    return {f"fleetform.{name}" for name in names}


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_contract_is_kept() -> None:
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in run.stdout


def test_every_top_level_module_has_a_layer_and_the_separate_programs_are_forbidden_all_of_it() -> None:
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    layered = {name.strip() for layer in layers["layers"] for name in str(layer).split("|")}
    assert layered == _top_level_modules() - SEPARATE_PROGRAMS
    (forbidden,) = [c for c in _contracts() if c["type"] == "forbidden"]
    assert set(forbidden["source_modules"]) == SEPARATE_PROGRAMS
    assert set(forbidden["forbidden_modules"]) == _top_level_modules() - SEPARATE_PROGRAMS


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("manifest/model.py", "import fleetform.synth.app", "The pipeline points one way"),
        ("constructs/vm.py", "import fleetform.terraform.runner", "The pipeline points one way"),
        ("hypercore/client.py", "import fleetform.importer.run", "The pipeline points one way"),
        ("simulator/api.py", "import fleetform.standin_provider.rest", "neither imports the other"),
        ("standin_provider/rest.py", "import fleetform.hypercore.client", "import nothing of fleetform"),
        ("simulator/db.py", "import fleetform.errors", "import nothing of fleetform"),
    ],
)
def test_an_import_against_the_rules_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "fleetform", tmp_path / "fleetform", ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "fleetform" / module
    path.write_text(path.read_text() + f"\n{line}\n")
    run = _lint(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    (name,) = [str(c["name"]) for c in _contracts() if broken in str(c["name"])]
    said = " ".join(run.stdout.split())  # lint-imports wraps long contract names
    assert f"{name} BROKEN" in said, run.stdout
    assert f"{len(_contracts()) - 1} kept, 1 broken." in said, run.stdout
