"""CDK Terrain, cdktf's maintained fork, proven rather than claimed: ``cdktn synth`` (cdktn-cli 0.24.0 on Node 22,
running main.py with the cdktn 0.24.0 Python library in ``.venv-cdktn``) writes the seed manifests' Terraform
JSON that ``fleetform synth`` writes with cdktf 0.21.0.

The only difference is the one the fork documents: the library version in ``//.metadata.version`` (and in
``manifest.json``); cdktn also writes an empty object as ``{}`` where cdktf writes ``{\\n}``, so the comparison is
of parsed JSON. ``make cdktn`` (part of ``make test``) builds the environment; the fixture runs it too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fleetform.synth.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-cdktn" / "bin" / "python"
BIN = ROOT / "tools" / "cdktn" / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    """The cdktn environment, made or brought up to date by ``make cdktn``; its Node 22 first on PATH."""
    made = subprocess.run(["make", "-s", "cdktn"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    environ = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", CHECKPOINT_DISABLE="1")
    for variable in ("FLEETFORM_MANIFESTS", "FLEETFORM_CONFIG", "FLEETFORM_CDK", "CDKTF_OUTDIR"):
        environ.pop(variable, None)
    return environ


def stack_json(stack_dir: Path) -> Any:
    """A stack's JSON with the state path made absolute (each output directory has its own relative one)."""
    data = json.loads((stack_dir / "cdk.tf.json").read_text())
    backend = data["terraform"]["backend"]["local"]
    backend["path"] = str((stack_dir / backend["path"]).resolve())
    return data


def test_the_cdktn_environment_has_cdktn_and_not_cdktf(env: dict[str, str]) -> None:
    script = (
        "import importlib.util, fleetform._cdktf as seam; "
        "print(importlib.util.find_spec('cdktf') is None, seam.LIBRARY_NAME, seam.LIBRARY_VERSION)"
    )
    run = subprocess.run([str(PYTHON), "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "cdktn", "0.24.0"]
    node = subprocess.run(["node", "--version"], env=env, capture_output=True, text=True, check=True)
    assert node.stdout.startswith("v22.")


def test_cdktn_synth_of_the_seed_manifests_equals_cdktf_s_but_for_the_version(
    env: dict[str, str], tmp_path: Path
) -> None:
    theirs = tmp_path / "cdktn"
    run = subprocess.run(
        [str(BIN / "cdktn"), "synth", "--app", f"{PYTHON} main.py", "--output", str(theirs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    ours = synthesize(
        [ROOT / "manifests"], config_path=ROOT / "fleetform.yaml", outdir=tmp_path / "cdktf", cache=False
    )
    assert sorted(p.name for p in (theirs / "stacks").iterdir()) == ours.stacks
    for stack in ours.stacks:
        fork, original = (
            stack_json(theirs / "stacks" / stack),
            stack_json(tmp_path / "cdktf" / "stacks" / stack),
        )
        assert fork["//"]["metadata"].pop("version") == "0.24.0"
        assert original["//"]["metadata"].pop("version") == "0.21.0"
        assert fork == original, stack
    fork_manifest = json.loads((theirs / "manifest.json").read_text())
    original_manifest = json.loads((tmp_path / "cdktf" / "manifest.json").read_text())
    assert (fork_manifest.pop("version"), original_manifest.pop("version")) == ("0.24.0", "0.21.0")
    assert fork_manifest == original_manifest
