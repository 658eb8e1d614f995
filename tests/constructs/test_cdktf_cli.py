"""The real cdktf CLI (``cdktf synth``, run from node_modules/.bin) writes the same JSON as ``fleetform synth``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from fleetform.synth.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]


def normalized(stack_dir: Path) -> Any:
    """A stack's JSON without cdktf's metadata, with the state path made absolute."""
    data = json.loads((stack_dir / "cdk.tf.json").read_text())
    data.pop("//", None)
    backend = data["terraform"]["backend"]["local"]
    backend["path"] = str((stack_dir / backend["path"]).resolve())
    return data


def test_cdktf_synth_writes_the_same_json_as_fleetform_synth(tmp_path: Path) -> None:
    env = dict(os.environ, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1", CHECKPOINT_DISABLE="1")
    env.pop("FLEETFORM_MANIFESTS", None)
    cli = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdktf"), "synth", "--output", str(tmp_path / "cdktf")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    ours = synthesize([ROOT / "manifests"], config_path=ROOT / "fleetform.yaml", outdir=tmp_path / "ours")
    theirs = sorted(p.name for p in (tmp_path / "cdktf" / "stacks").iterdir())
    assert theirs == ours.stacks
    for stack in ours.stacks:
        assert normalized(tmp_path / "cdktf" / "stacks" / stack) == normalized(
            tmp_path / "ours" / "stacks" / stack
        )


def test_main_py_reads_the_manifests_named_by_fleetform_manifests(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        FLEETFORM_MANIFESTS=str(ROOT / "manifests" / "microservices-stack.yaml"),
        CDKTF_OUTDIR=str(tmp_path / "out"),
    )
    run = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "main.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "stacks").iterdir()) == ["microservices-stack"]


def test_main_py_exits_1_with_located_errors_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "manifests" / "microservices-stack.yaml").read_text().replace("cpu: 4", "cpu: 0", 1)
    )
    env = dict(os.environ, FLEETFORM_MANIFESTS=str(bad), CDKTF_OUTDIR=str(tmp_path / "out"))
    run = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "main.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert f"{bad}:" in run.stderr and "cpu must be at least 1" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
