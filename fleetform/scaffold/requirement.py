"""How a new project's ``Pipfile`` depends on fleetform.

fleetform is not published on PyPI, so a bare version pin only works once it is (or with a private index).
By default a new project depends on the fleetform that runs ``fleetform init``, wherever that came from:

- a source checkout (this package sits next to fleetform's ``pyproject.toml``): that checkout, as an editable
  path, the way the checkout's own ``Pipfile`` depends on it;
- an installed distribution that records where it was installed from (PEP 610 ``direct_url.json``): that
  directory, wheel file, archive URL or git commit;
- otherwise (installed from an index): ``==<version>``.

A local path is fine on this machine but not in CI (the workflows run ``pipenv sync`` on a fresh runner):
:attr:`Requirement.portable` says so, and ``fleetform init --fleetform SPEC`` chooses another source.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

import fleetform
from fleetform.scaffold.errors import ScaffoldError

_VERSION = re.compile(r"^(==|~=|>=|<=|!=|>|<)?\s*(\d[\w.+!-]*)$")


@dataclass(frozen=True)
class Requirement:
    """fleetform as a Pipfile ``[packages]`` entry."""

    pipfile: str
    """The TOML value after ``fleetform =``: a version string or an inline table."""
    description: str
    """Where it comes from, for the Pipfile comment and the command's output."""
    portable: bool
    """Whether another machine (a CI runner) can install it: False for local paths."""


def detect() -> Requirement:
    """The fleetform that runs this code, as a Pipfile entry (module docstring)."""
    checkout = checkout_root()
    if checkout is not None:
        return from_path(checkout)
    recorded = _from_direct_url()
    if recorded is not None:
        return recorded
    return from_version(fleetform.__version__)


def parse(spec: str) -> Requirement:
    """``--fleetform SPEC``: a version (``0.1.0``, ``~=0.1``), ``git+URL[@REF]``, or a path (a fleetform source
    directory or a wheel file)."""
    spec = spec.strip()
    if spec.startswith("git+"):
        url, ref = _split_ref(spec.removeprefix("git+"))
        return from_git(url, ref)
    if _VERSION.match(spec):
        return from_version(spec)
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "pyproject.toml").is_file():
        return from_path(path.resolve())
    if path.is_file() and path.suffix == ".whl":
        return from_path(path.resolve())
    raise ScaffoldError(
        f"--fleetform {spec!r} is neither a version (0.1.0, ~=0.1), a git+URL[@REF], a fleetform source "
        "directory (with pyproject.toml) nor a wheel file"
    )


def checkout_root() -> Path | None:
    """The source checkout this fleetform package runs from, or None when it is installed."""
    root = Path(fleetform.__file__).resolve().parents[1]
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return root if project.get("project", {}).get("name") == "fleetform" else None


def from_path(path: Path, *, editable: bool = True) -> Requirement:
    """A source directory (editable unless told otherwise) or a wheel file on this machine."""
    if path.is_dir():
        return Requirement(
            f"{{path = {_toml(str(path))}" + (", editable = true}" if editable else "}"),
            f"the source at {path}" + (", editable" if editable else ""),
            portable=False,
        )
    return Requirement(f"{{path = {_toml(str(path))}}}", f"the wheel {path}", portable=False)


def from_version(spec: str) -> Requirement:
    """A release from the package index: ``0.1.0`` means ``==0.1.0``."""
    match = _VERSION.match(spec.strip())
    if match is None:
        raise ScaffoldError(f"{spec!r} is not a version specifier")
    value = (match.group(1) or "==") + match.group(2)
    return Requirement(_toml(value), f"{value} from the package index", portable=True)


def from_git(url: str, ref: str | None) -> Requirement:
    """A git repository, at ``ref`` (a tag, branch or commit) when given."""
    table = f"git = {_toml(url)}" + (f", ref = {_toml(ref)}" if ref else "")
    return Requirement("{" + table + "}", f"git {url}" + (f" at {ref}" if ref else ""), portable=True)


def _from_direct_url() -> Requirement | None:
    """Where pip installed fleetform from, if it recorded it (PEP 610)."""
    try:
        text = metadata.distribution("fleetform").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    url = str(record.get("url", ""))
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        return from_git(url, vcs.get("commit_id") or vcs.get("requested_revision"))
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
        dir_info = record.get("dir_info")
        editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
        return from_path(path, editable=editable) if path.exists() else None
    if parsed.scheme in ("http", "https"):
        return Requirement(f"{{file = {_toml(url)}}}", url, portable=True)
    return None


def _split_ref(url: str) -> tuple[str, str | None]:
    """``https://host/repo.git@v1`` -> (url, "v1"); an ``@`` in the user part (``ssh://git@host/...``) is no ref."""
    head, sep, ref = url.rpartition("@")
    if sep and "/" not in ref and "://" in head and "/" in head.split("://", 1)[1]:
        return head, ref
    return url, None


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text)
