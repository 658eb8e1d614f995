"""A new fleetform project that passes ``fleetform validate`` and ``cdktf synth`` as it is.

The files come from the Jinja2 templates in ``templates/`` (package data), the JSON Schemas generated from
fleetform's models (:mod:`fleetform.schema_export`, the same text as the checkout's ``schema/``), and the GitHub
workflows ``fleetform-*.yml``, copied byte for byte from the checkout's ``.github/workflows/`` (``workflows`` in
this package is a link to it, so a wheel carries the workflows of the commit it was built from).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from fleetform import __version__
from fleetform.scaffold import requirement
from fleetform.scaffold.errors import ScaffoldError
from fleetform.scaffold.requirement import Requirement

CDKTF_VERSION = "0.21.0"
"""The ``cdktf`` Python library a new project pins: the one fleetform itself requires."""
CDKTF_CLI_VERSION = "0.21.0"
"""The ``cdktf-cli`` npm package a new project pins: the one fleetform's own ``package.json`` pins."""
NAME_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
"""Application names ``fleetform init`` accepts: the stack, the manifest file and the npm package are named
after it."""
NOT_CONTENT = frozenset({".git"})
"""Entries that do not make a directory non-empty: ``git init`` first, then ``fleetform init .``, is fine."""
WORKFLOW_GLOB = "fleetform-*.yml"

# Template -> the file it renders, relative to the project directory; {name} is the application name.
_TEMPLATES = {
    "cdktf.json.j2": "cdktf.json",
    "main.py.j2": "main.py",
    "Pipfile.j2": "Pipfile",
    "package.json.j2": "package.json",
    "fleetform.yaml.j2": "fleetform.yaml",
    "manifest.yaml.j2": "manifests/{name}.yaml",
    "gitignore.j2": ".gitignore",
    "README.md.j2": "README.md",
}


@dataclass(frozen=True)
class Project:
    """What ``fleetform init`` wrote."""

    directory: Path
    name: str
    """The example application's name (its stack, ``manifests/<name>.yaml``)."""
    files: tuple[Path, ...]
    """Every file written, relative to ``directory``, in writing order."""
    overwritten: tuple[Path, ...]
    """The files of :attr:`files` that existed before (only with ``force``)."""
    fleetform: Requirement
    """How the project's Pipfile depends on fleetform."""


def default_name(directory: Path) -> str:
    """An application name from a directory name: lowercase, runs of other characters as ``-``."""
    base = directory.resolve().name.lower()
    return re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:63].strip("-")


def init_project(
    directory: Path,
    *,
    name: str | None = None,
    force: bool = False,
    fleetform: Requirement | None = None,
) -> Project:
    """Write a new project into ``directory`` (created if missing).

    Refuses a directory that has anything in it but ``.git`` unless ``force`` is set; then it overwrites the
    files it writes (:attr:`Project.overwritten` lists them) and leaves every other file alone. ``name``
    defaults to the directory's name; ``fleetform`` to :func:`fleetform.scaffold.requirement.detect`.
    """
    name = default_name(directory) if name is None else name
    if not NAME_PATTERN.match(name):
        where = "" if name else f" from the directory name {directory.resolve().name!r}"
        raise ScaffoldError(
            f"application name {name!r}{where} is not lowercase letters, digits and '-' (at most 63, "
            "starting and ending with a letter or digit); give one with --name"
        )
    _check_directory(directory, force)
    dependency = fleetform or requirement.detect()
    written: list[Path] = []
    overwritten: list[Path] = []
    for relative, text in render_files(name, dependency).items():
        target = directory / relative
        existed = target.exists()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ScaffoldError(f"cannot write {target}: {exc.strerror or exc}") from None
        written.append(Path(relative))
        if existed:
            overwritten.append(Path(relative))
    return Project(directory, name, tuple(written), tuple(overwritten), dependency)


def render_files(name: str, dependency: Requirement) -> dict[str, str]:
    """Every file of a new project, relative path -> text (nothing is written)."""
    from fleetform.schema_export import SCHEMAS

    env = Environment(
        loader=PackageLoader("fleetform.scaffold", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["json"] = json.dumps
    context = {
        "name": name,
        "project_id": str(uuid.uuid4()),
        "cdktf_version": CDKTF_VERSION,
        "cdktf_cli_version": CDKTF_CLI_VERSION,
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "fleetform": dependency,
        "fleetform_version": __version__,
    }
    files = {
        target.format(name=name): env.get_template(template).render(context)
        for template, target in _TEMPLATES.items()
    }
    for schema in SCHEMAS.values():
        files[schema.path.as_posix()] = schema.text()
    for workflow in workflows():
        files[f".github/workflows/{workflow.name}"] = workflow.read_text(encoding="utf-8")
    return files


def workflows() -> list[Traversable]:
    """The GitHub workflows a new project gets: fleetform's own ``fleetform-*.yml``."""
    folder = resources.files("fleetform.scaffold").joinpath("workflows")
    found = (
        sorted(
            (f for f in folder.iterdir() if f.is_file() and Path(f.name).match(WORKFLOW_GLOB)),
            key=lambda f: f.name,
        )
        if folder.is_dir()
        else []
    )
    if not found:
        raise ScaffoldError(
            f"this fleetform has no GitHub workflows ({WORKFLOW_GLOB}) to copy; reinstall it from a checkout "
            "with .github/workflows"
        )
    return found


def _check_directory(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} exists and is not a directory")
    if not directory.exists() or force:
        return
    entries = sorted(p.name for p in directory.iterdir() if p.name not in NOT_CONTENT)
    if entries:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise ScaffoldError(
            f"{directory} is not empty ({shown}); fleetform init never overwrites files unasked: choose a new "
            "or empty directory, or pass --force to overwrite the files it writes (other files stay)"
        )
