"""``fleetform synth``: write ``DIR/stacks/<stack>/cdk.tf.json`` exactly as ``cdktf synth`` does.

Synthesis happens in a scratch directory next to ``DIR``; only when every stack synthesized are the files moved
into place, one atomic rename each, so a failed synth leaves the previous output (and each stack's
``.terraform`` working files) untouched.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fleetform.app import build_app
from fleetform.errors import Issue
from fleetform.inputs import load_inputs

STACK_FILE = "cdk.tf.json"


@dataclass
class SynthResult:
    """What a synth wrote."""

    outdir: Path
    stacks: list[str]
    warnings: list[Issue]

    def stack_file(self, stack: str) -> Path:
        """The synthesized Terraform JSON of one stack."""
        return self.outdir / "stacks" / stack / STACK_FILE


def synthesize(
    manifest_paths: Sequence[str | Path],
    *,
    config_path: str | Path | None = None,
    outdir: str | Path,
    allow_data_loss: bool = False,
) -> SynthResult:
    """Validate, build and synthesize every manifest; raise InputError (writing nothing) on bad input.

    ``allow_data_loss`` leaves out the ``prevent_destroy`` that guards every data disk."""
    inputs = load_inputs(manifest_paths, config_path)
    out = Path(outdir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        app, warnings = build_app(inputs, outdir=scratch, final_outdir=out, allow_data_loss=allow_data_loss)
        app.synth()
        stacks = _install(scratch, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return SynthResult(outdir=out, stacks=stacks, warnings=warnings)


def _install(scratch: Path, out: Path) -> list[str]:
    """Move freshly synthesized stacks into ``out``, keep their working files, drop stacks no longer in the app."""
    new_stacks = sorted(p.name for p in (scratch / "stacks").iterdir() if p.is_dir())
    (out / "stacks").mkdir(parents=True, exist_ok=True)
    for stack in new_stacks:
        target = out / "stacks" / stack
        target.mkdir(exist_ok=True)
        for item in (scratch / "stacks" / stack).iterdir():
            item.replace(target / item.name)
    (scratch / "manifest.json").replace(out / "manifest.json")
    # cdktf synth removes the directories of stacks that left the app; do the same so both outputs agree.
    for old in (out / "stacks").iterdir():
        if old.is_dir() and old.name not in new_stacks:
            shutil.rmtree(old)
    return new_stacks
