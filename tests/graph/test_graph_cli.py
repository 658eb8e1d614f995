"""``fleetform graph``: Mermaid, DOT and SVG of the seed applications; located errors for bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mermaid_syntax import parse
from typer.testing import CliRunner, Result

from fleetform.cli import app

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ["--manifests", str(ROOT / "manifests"), "--config", str(ROOT / "fleetform.yaml")]
FENCE = "```mermaid\n"


def graph(*args: str) -> Result:
    return CliRunner().invoke(app, ["graph", *args, *INPUTS])


def test_graph_prints_mermaid_of_one_application() -> None:
    result = graph("three-tier-webapp")
    assert result.exit_code == 0, result.output
    chart = parse(result.stdout)
    assert sum(1 for shape, _lines in chart.nodes.values() if shape == "box") == 5


def test_graph_without_stack_draws_every_application_into_one_markdown_file(tmp_path: Path) -> None:
    target = tmp_path / "apps.md"
    result = graph("--out", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## microservices-stack", "## mixed-os-enterprise", "## three-tier-webapp"]
    blocks = [block.split("```\n", 1)[0] for block in text.split(FENCE)[1:]]
    assert len(blocks) == 3
    for block in blocks:
        parse(block)


def test_graph_markdown_flag_fences_stdout() -> None:
    result = graph("microservices-stack", "--markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(FENCE) and result.stdout.endswith("```\n")


def test_graph_writes_one_svg_per_application_into_directory(tmp_path: Path) -> None:
    result = graph("--format", "svg", "--out", str(tmp_path / "pictures"))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "pictures").iterdir())
    assert files == ["microservices-stack.svg", "mixed-os-enterprise.svg", "three-tier-webapp.svg"]
    svg = (tmp_path / "pictures/three-tier-webapp.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "db&#45;tier&#45;replica" in svg


def test_graph_prints_dot() -> None:
    result = graph("mixed-os-enterprise", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('digraph "mixed-os-enterprise" {')
    assert 'label="domain-net (VLAN 50)"' in result.stdout


def test_graph_unknown_application_suggests_a_name() -> None:
    result = graph("three-tier")
    assert result.exit_code == 1
    assert "no application named 'three-tier'; did you mean 'three-tier-webapp'?" in result.output


def test_graph_bad_manifest_reports_located_errors(tmp_path: Path) -> None:
    source = (ROOT / "manifests/microservices-stack.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(source.replace("cpu: 4", 'cpu: "four"', 1), encoding="utf-8")
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), start=1) if '"four"' in text)
    result = CliRunner().invoke(
        app, ["graph", "--manifests", str(bad), "--config", str(ROOT / "fleetform.yaml")]
    )
    assert result.exit_code == 1
    assert f"{bad}:{line}:" in result.output
    assert "1 error; nothing was written." in result.output
    assert result.stdout == ""


def test_graph_svg_without_graphviz_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = shutil.which("node")
    assert node is not None, "the cdktf runtime (jsii) needs node"
    (tmp_path / "node").symlink_to(node)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = graph("three-tier-webapp", "--format", "svg")
    assert result.exit_code == 1
    assert "apt-get install graphviz" in result.output and "make setup" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_graph_refuses_several_applications_in_one_dot_file(tmp_path: Path) -> None:
    result = graph("--format", "dot", "--out", str(tmp_path / "all.dot"))
    assert result.exit_code == 1
    assert "pass --out DIRECTORY" in result.output


def test_graph_markdown_needs_mermaid() -> None:
    result = graph("--format", "dot", "--markdown")
    assert result.exit_code == 2


def test_fleetform_executable_draws_graph() -> None:
    executable = Path(sys.executable).parent / "fleetform"
    run = subprocess.run(
        [str(executable), "graph", "three-tier-webapp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert run.returncode == 0, run.stderr
    assert "web-net (VLAN 20)" in run.stdout
    parse(run.stdout)
