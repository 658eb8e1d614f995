"""Change detection for CI: which stacks a pull request changes, and a job matrix of them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# --- change detection (CI) --------------------------------------------------------------------------------


def changed_stacks(base_dir: Path, head_dir: Path) -> tuple[list[str], list[str]]:
    """Stacks whose Terraform JSON differs between two synth outputs (added ones included), and stacks the base
    has and the head does not (deleted manifests). The ``//`` metadata cdktf writes is ignored."""
    base, head = _synthesized(base_dir), _synthesized(head_dir)
    changed = sorted(name for name, data in head.items() if base.get(name) != data)
    removed = sorted(name for name in base if name not in head)
    return changed, removed


def _synthesized(outdir: Path) -> dict[str, Any]:
    stacks = {}
    root = outdir / "stacks"
    if root.is_dir():
        for path in sorted(root.iterdir()):
            files = sorted(path.glob("*.tf.json"))
            if files:
                stacks[path.name] = {
                    f.name: _without_comments(json.loads(f.read_text("utf-8"))) for f in files
                }
    return stacks


def _without_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_comments(v) for v in value]
    return value


def shards(names: Sequence[str], max_jobs: int) -> list[str]:
    """``names`` in at most ``max_jobs`` comma-separated groups of about equal size (a CI job matrix)."""
    if not names:
        return []
    count = min(len(names), max(1, max_jobs))
    groups: list[list[str]] = [[] for _ in range(count)]
    for number, name in enumerate(names):
        groups[number % count].append(name)
    return [",".join(group) for group in groups]
