"""``pip install .`` gets the package (with the bindings and their schema inside it) and the console script.

A full install into a fresh venv downloads cdktf and the rest from the index (minutes); building the wheel
alone, offline, with this venv's setuptools, shows what ``pip install .`` puts in site-packages.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("this venv has no setuptools to build the wheel without the index")
    base = tmp_path_factory.mktemp("wheel")
    # A copy of the checkout (what `pip wheel --no-deps .` sees, minus environments and caches), so that the
    # build writes neither build/ nor *.egg-info into it; copytree follows the scaffold's workflows link, as a
    # wheel build does.
    source = base / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv*",
            "node_modules",
            ".tools",
            ".fleetform",
            "cdktf.out",
            "*cache*",
            "*.pyc",
            "*.egg-info",
            "build",
            "state",
        ),
    )
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation"]
    run = subprocess.run(
        [*command, "-q", "-w", str(base / "dist")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (built,) = (base / "dist").glob("fleetform-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_holds_the_package_and_the_constructs(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for module in (
        "__init__",
        "synth/app",
        "_cdktf",
        "constructs/__init__",
        "constructs/props",
        "cli/__init__",
    ):
        assert f"fleetform/{module}.py" in names
    assert "fleetform/py.typed" in names


def test_wheel_holds_the_provider_bindings_and_their_schema_inside_the_package(
    wheel: zipfile.ZipFile,
) -> None:
    names = set(wheel.namelist())
    assert {"fleetform/providers/hypercore/vm.py", "fleetform/providers/hypercore/provider.py"} <= names
    assert "fleetform/providers/hypercore-provider-schema.json" in names


def test_wheel_holds_the_scaffold_templates_and_workflows(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    templates = {p.name for p in (ROOT / "fleetform" / "scaffold" / "templates").iterdir()}
    assert {f"fleetform/scaffold/templates/{t}" for t in templates} <= names
    workflows = sorted(p.name for p in (ROOT / ".github" / "workflows").glob("fleetform-*.yml"))
    assert workflows
    for workflow in workflows:
        packaged = wheel.read(f"fleetform/scaffold/workflows/{workflow}")
        assert packaged == (ROOT / ".github" / "workflows" / workflow).read_bytes()


def test_wheel_holds_the_review_templates(wheel: zipfile.ZipFile) -> None:
    assert any(n.startswith("fleetform/review/templates/") for n in wheel.namelist())


def test_wheel_has_no_top_level_package_but_fleetform(wheel: zipfile.ZipFile) -> None:
    """No generic ``providers`` (nor tests, examples, tools) in site-packages."""
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert tops == {"fleetform", next(t for t in tops if t.endswith(".dist-info"))}


def test_wheel_declares_the_console_script_and_the_cdktf_pin(wheel: zipfile.ZipFile) -> None:
    info = next(n.split("/", 1)[0] for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "[console_scripts]" in entry_points
    assert "fleetform = fleetform.cli:main" in entry_points
    metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert "cdktf==0.21.0" in metadata.get_all("Requires-Dist", [])
    assert metadata["License-Expression"] == "MPL-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
