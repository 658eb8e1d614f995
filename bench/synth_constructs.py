"""Synth with the per-resource constructs, as ``fleetform synth`` did before it rendered applications in Python.

    .venv/bin/python bench/synth_constructs.py DIR OUT

DIR holds ``fleetform.yaml`` and ``manifests/``; OUT receives ``stacks/<stack>/cdk.tf.json`` (the same JSON as
``fleetform synth``). One ``Application`` construct per stack, one jsii object per resource.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fleetform.app import build_app  # noqa: E402
from fleetform.inputs import load_inputs  # noqa: E402


def main() -> None:
    directory, out = Path(sys.argv[1]), Path(sys.argv[2])
    inputs = load_inputs([directory / "manifests"], directory / "fleetform.yaml")
    app, _ = build_app(inputs, outdir=out, fast=False)
    app.synth()


if __name__ == "__main__":
    main()
