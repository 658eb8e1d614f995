"""Where each stack came from: the manifest recorded in its state, to tell orphans from stacks deployed elsewhere.

Every synthesized stack has the Terraform output ``fleetform_manifest``: the path of the manifest it was
synthesized from, relative to the project directory (the working directory of ``fleetform`` and of
``cdktf synth``). Terraform writes outputs into the state on every apply, whatever ran it (``fleetform deploy``,
``fleetform apply``, ``cdktf deploy``, a CI job) and whatever the backend, so the state itself says where its
stack came from. A moved manifest changes the output, and the next apply records the new path.

A stack that has state but is not synthesized in a run is an **orphan** (its manifest was deleted, and the
stack's resources should be destroyed) only when:

- the run covers a whole manifest set: every manifest path it was given is a directory, and no ``--stacks``
  selection was made (a run over some files, or some stacks, never plans anything else); and
- the recorded manifest is one the run reads (a file directly in one of those directories), and it is gone, or
  it no longer makes this stack (the application was renamed, or a cluster selector no longer matches); and
- no other manifest file in the project makes this stack: a manifest moved to a directory the run does not
  read is left alone, with a note saying where it is.

A stack whose state records no manifest (deployed before fleetform recorded origins) is never taken for an
orphan: the run says so and how to destroy it by name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ORIGIN_OUTPUT = "fleetform_manifest"


def origin_of(manifest_path: str | Path, project: Path | None = None) -> str:
    """The recorded form of a manifest path: relative to ``project`` (default: the working directory) with ``/``
    separators when it lies inside it, else absolute."""
    base = (project or Path.cwd()).resolve()
    path = Path(manifest_path)
    full = (path if path.is_absolute() else base / path).resolve()
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return full.as_posix()


def recorded_origin(state: Mapping[str, Any]) -> str | None:
    """The manifest a stack's raw state (``terraform state pull``, or a local ``.tfstate`` file) records."""
    output = (state.get("outputs") or {}).get(ORIGIN_OUTPUT)
    value = output.get("value") if isinstance(output, Mapping) else None
    return value if isinstance(value, str) and value else None


def read_state_file(path: Path) -> dict[str, Any] | None:
    """A local state file, parsed; None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def has_resources(state: Mapping[str, Any]) -> bool:
    """Whether a raw state holds any managed resource instance."""
    return any(
        r.get("mode") == "managed" and r.get("instances")
        for r in state.get("resources") or []
        if isinstance(r, Mapping)
    )


def whole_set(manifest_paths: Iterable[str | Path]) -> bool:
    """Whether the manifest paths of a run are a whole manifest set: directories only."""
    paths = [Path(p) for p in manifest_paths]
    return bool(paths) and all(p.is_dir() for p in paths)


def in_scope(origin: str, manifest_paths: Iterable[str | Path], project: Path | None = None) -> bool:
    """Whether the recorded manifest ``origin`` is one the run reads: a file directly in one of the directories
    ``manifest_paths`` (fleetform reads a directory's ``*.yaml``/``*.yml``, not its subdirectories), or one of
    the files."""
    base = (project or Path.cwd()).resolve()
    recorded = _absolute(origin, base)
    for given in manifest_paths:
        root = _absolute(given, base)
        if recorded == root or (recorded.parent == root and recorded.suffix in (".yaml", ".yml")):
            return True
    return False


def _absolute(path: str | Path, base: Path) -> Path:
    return (Path(path) if os.path.isabs(path) else base / path).resolve()


# Directories never searched for a moved manifest: tools, caches, Terraform's and fleetform's working files.
_SKIP = {"node_modules", ".venv", "cdktf.out", ".terraform", "__pycache__", ".git", ".fleetform"}


def moved_to(stack: str, project: Path, limit: int = 2000) -> Path | None:
    """A manifest file under ``project`` whose application makes ``stack`` (``metadata.name`` is the stack's
    name, or its part before ``--<cluster>``); None when there is none. For a stack whose recorded manifest is
    gone: it may have been moved to a directory this run does not read, and then it is no orphan."""
    names = {stack, stack.rsplit("--", 1)[0]}
    seen = 0
    for directory, subdirectories, files in os.walk(project):
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIP and not d.startswith("."))
        for file in sorted(files):
            if not file.endswith((".yaml", ".yml")):
                continue
            seen += 1
            if seen > limit:
                return None
            path = Path(directory) / file
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if (
                "Application" in text
                and any(name in text for name in names)
                and _application_name(text) in names
            ):
                return path
    return None


def _application_name(text: str) -> str | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    metadata = data.get("metadata") if isinstance(data, Mapping) else None
    if not isinstance(metadata, Mapping) or data.get("type") != "Application":
        return None
    name = metadata.get("name")
    return name if isinstance(name, str) else None


class Orphans:
    """What a whole-set run finds in the local state directory besides its synthesized stacks."""

    def __init__(self) -> None:
        self.orphans: dict[str, str] = {}
        """Stack -> the recorded manifest, gone from the run's manifest directories: to be destroyed."""
        self.elsewhere: dict[str, str] = {}
        """Stack -> the recorded manifest, outside this run's manifest directories: left alone."""
        self.moved: dict[str, str] = {}
        """Stack -> where its manifest is now, in a directory this run does not read: left alone."""
        self.unknown: list[str] = []
        """Stacks whose state records no manifest: left alone."""

    def notes(self) -> list[str]:
        """One line per stack that is left alone, saying why and how to destroy it on purpose."""
        lines = [
            f"stack {name} (from {origin}) is not in this run's manifests: left alone"
            for name, origin in self.elsewhere.items()
        ]
        lines += [
            f"stack {name}: its manifest moved to {where}, which this run does not read: left alone; add it "
            f"(-m {where}) to deploy it from there"
            for name, where in self.moved.items()
        ]
        lines += [
            f"stack {name} has state but no manifest in this run, and its state does not record which manifest it "
            f"came from (deployed before fleetform recorded it): left alone; to destroy it: "
            f"fleetform destroy --stacks {name}"
            for name in self.unknown
        ]
        return lines


def find_orphans(
    state_dir: Path,
    synthesized: Iterable[str],
    manifest_paths: Iterable[str | Path],
    project: Path | None = None,
) -> Orphans:
    """The local state files (``<state_dir>/<stack>.tfstate``) holding resources whose stack is not in
    ``synthesized``, sorted into orphans and stacks to leave alone (module docstring: the rule). The caller
    decides whether the run covers a whole manifest set (:func:`whole_set`)."""
    found = Orphans()
    known = set(synthesized)
    paths = list(manifest_paths)
    if not state_dir.is_dir():
        return found
    for path in sorted(state_dir.glob("*.tfstate")):
        name = path.name[: -len(".tfstate")]
        if name in known:
            continue
        state = read_state_file(path)
        if state is None or not has_resources(state):
            continue
        origin = recorded_origin(state)
        if origin is None:
            found.unknown.append(name)
        elif in_scope(origin, paths, project):
            moved = moved_to(name, project or Path.cwd())
            if moved is None:
                found.orphans[name] = origin
            else:
                found.moved[name] = origin_of(moved, project)
        else:
            found.elsewhere[name] = origin
    return found
