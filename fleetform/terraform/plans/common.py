"""What the planning and applying modules share: file names, progress callbacks, small path and time helpers."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

STACK_FILE = "cdk.tf.json"
TOMBSTONES = "tombstones"
Progress = Callable[[str, str], None]
"""``(stack, phase)``: phases ``init``, ``plan``, ``show``, ``apply``; then, for a plan, ``changes``,
``no changes``, ``refused`` or ``failed``, and for an apply ``done``, ``failed`` or ``stale``."""


def split_names(names: Sequence[str]) -> list[str]:
    return [part.strip() for name in names for part in name.split(",") if part.strip()]


def config_hash(workdir: Path) -> str:
    """sha256 over the names and bytes of a working directory's ``*.tf.json`` files."""
    digest = hashlib.sha256()
    for path in sorted(workdir.glob("*.tf.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def absolute(path: Path, base: Path) -> Path:
    return path if path.is_absolute() else base / path


def relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())
