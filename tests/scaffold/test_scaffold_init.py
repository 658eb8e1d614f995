"""``fleetform init``: a new project that validates and synthesizes as it is; never an unasked overwrite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from fleetform.cli import app
from fleetform.synth.schema_check import check_stack, load_provider_schema

ROOT = Path(__file__).resolve().parents[2]
FLEETFORM = Path(sys.executable).parent / "fleetform"
ENV = {
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CHECKPOINT_DISABLE": "1",
}
FILES = {
    "cdktf.json",
    "main.py",
    "Pipfile",
    "package.json",
    "fleetform.yaml",
    "manifests/shop.yaml",
    ".gitignore",
    "README.md",
    "schema/application.schema.json",
    "schema/fleetform.schema.json",
}


def init(*args: str) -> Result:
    return CliRunner().invoke(app, ["init", *args])


def files_under(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def workflows() -> set[str]:
    return {f".github/workflows/{p.name}" for p in (ROOT / ".github" / "workflows").glob("fleetform-*.yml")}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("init") / "shop-site"
    result = init(str(directory), "--name", "shop")
    assert result.exit_code == 0, result.output
    return directory


def test_init_writes_the_project_files(project: Path) -> None:
    assert workflows()
    assert files_under(project) == FILES | workflows()


def test_init_output_passes_fleetform_validate_strict(project: Path) -> None:
    run = subprocess.run(
        [str(FLEETFORM), "validate", "--strict"],
        cwd=project,
        env=dict(os.environ, **ENV),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok: 1 application, 2 VMs" in run.stderr
    assert "warning" not in run.stderr


def test_init_output_passes_cdktf_synth(tmp_path: Path) -> None:
    """The real cdktf CLI in a new project, with this checkout's venv as its .venv (no install)."""
    workdir = tmp_path / "shop-site"
    result = init(str(workdir), "--name", "shop")
    assert result.exit_code == 0, result.output
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    run = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdktf"), "synth"],
        cwd=workdir,
        env={k: v for k, v in dict(os.environ, **ENV).items() if not k.startswith("FLEETFORM_")},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    stack: dict[str, Any] = json.loads(
        (workdir / "cdktf.out" / "stacks" / "shop" / "cdk.tf.json").read_text()
    )
    assert check_stack(stack, load_provider_schema()) == []
    assert sorted(stack["resource"]["hypercore_vm"]) == ["shop-db", "shop-web"]
    assert stack["resource"]["hypercore_nic"]["shop-web__app-net"]["vlan"] == 10
    backend = stack["terraform"]["backend"]["local"]["path"]
    assert (workdir / "cdktf.out" / "stacks" / "shop" / backend).resolve() == (
        workdir / "state" / "shop.tfstate"
    )


def test_init_cdktf_json_runs_main_py_in_the_project_venv(project: Path) -> None:
    config = json.loads((project / "cdktf.json").read_text())
    assert config["language"] == "python"
    assert config["app"] == ".venv/bin/python main.py"
    assert "from fleetform.synth.app import main" in (project / "main.py").read_text()


def test_init_pins_the_cdktf_versions_fleetform_uses(project: Path) -> None:
    pipfile = tomllib.loads((project / "Pipfile").read_text())
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"cdktf{pipfile['packages']['cdktf']}" in ours
    package = json.loads((project / "package.json").read_text())
    cli = json.loads((ROOT / "package.json").read_text())["devDependencies"]["cdktf-cli"]
    assert package["devDependencies"] == {"cdktf-cli": cli}
    assert package["name"] == "shop"


def test_init_from_a_checkout_depends_on_that_checkout(project: Path) -> None:
    pipfile = tomllib.loads((project / "Pipfile").read_text())
    assert pipfile["packages"]["fleetform"] == {"path": str(ROOT), "editable": True}
    assert "CI runner cannot install from a path" in (project / "Pipfile").read_text()


def test_init_manifest_has_the_schema_modeline_and_the_schemas_are_fleetforms(project: Path) -> None:
    first = (project / "manifests" / "shop.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/application.schema.json"
    site = (project / "fleetform.yaml").read_text().splitlines()[0]
    assert site == "# yaml-language-server: $schema=schema/fleetform.schema.json"
    for name in ("application.schema.json", "fleetform.schema.json"):
        assert (project / "schema" / name).read_text() == (ROOT / "schema" / name).read_text()


def test_init_copies_fleetforms_workflows(project: Path) -> None:
    for workflow in workflows():
        assert (project / workflow).read_bytes() == (ROOT / workflow).read_bytes()


def test_init_gitignore_keeps_state_plans_and_tools_out(project: Path) -> None:
    lines = set((project / ".gitignore").read_text().splitlines())
    assert {
        ".venv/",
        "node_modules/",
        "cdktf.out/",
        "state/",
        ".fleetform/",
        "*.tfplan",
        "/plans/",
        "/drift/",
    } <= lines


def test_init_prints_next_steps(tmp_path: Path) -> None:
    result = init(str(tmp_path / "new"), "--name", "shop")
    assert result.exit_code == 0, result.output
    assert "Next steps:" in result.stdout
    assert "npm install" in result.stdout and "npx cdktf synth" in result.stdout
    assert "export CHECKPOINT_DISABLE=1" in result.stdout
    readme = (tmp_path / "new" / "README.md").read_text()
    assert "export CHECKPOINT_DISABLE=1" in readme and readme.index("CHECKPOINT_DISABLE") < readme.index(
        "npx cdktf"
    )


def test_init_refuses_a_non_empty_directory_without_force(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("mine\n")
    result = init(str(tmp_path), "--name", "shop")
    assert result.exit_code == 1
    assert "is not empty" in result.stderr and "--force" in result.stderr
    assert files_under(tmp_path) == {"main.py"}
    assert (tmp_path / "main.py").read_text() == "mine\n"


def test_init_with_force_overwrites_its_own_files_says_so_and_keeps_the_others(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("mine\n")
    (tmp_path / "notes.txt").write_text("keep\n")
    result = init(str(tmp_path), "--name", "shop", "--force")
    assert result.exit_code == 0, result.output
    assert f"overwrote {tmp_path / 'main.py'}" in result.stdout
    assert f"created {tmp_path / 'cdktf.json'}" in result.stdout
    assert (tmp_path / "notes.txt").read_text() == "keep\n"
    assert "fleetform.synth.app" in (tmp_path / "main.py").read_text()


def test_init_accepts_a_directory_with_only_git(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    result = init(str(tmp_path), "--name", "shop")
    assert result.exit_code == 0, result.output


def test_init_names_the_application_after_the_directory(tmp_path: Path) -> None:
    result = init(str(tmp_path / "Edge_Store 17"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "Edge_Store 17" / "manifests" / "edge-store-17.yaml").is_file()


def test_init_rejects_a_name_that_cannot_name_a_stack(tmp_path: Path) -> None:
    result = init(str(tmp_path / "p"), "--name", "Shop Site")
    assert result.exit_code == 1
    assert "--name" in result.stderr
    assert not (tmp_path / "p").exists()


def test_init_with_fleetform_git_spec_writes_a_portable_dependency(tmp_path: Path) -> None:
    spec = "git+https://git.example.com/ops/fleetform.git@v0.1.0"
    result = init(str(tmp_path / "p"), "--name", "shop", "--fleetform", spec)
    assert result.exit_code == 0, result.output
    pipfile = tomllib.loads((tmp_path / "p" / "Pipfile").read_text())
    assert pipfile["packages"]["fleetform"] == {
        "git": "https://git.example.com/ops/fleetform.git",
        "ref": "v0.1.0",
    }
    assert "CI runner cannot" not in (tmp_path / "p" / "Pipfile").read_text()
