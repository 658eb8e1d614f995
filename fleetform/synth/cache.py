"""The synth cache: a stack whose inputs did not change keeps the ``cdk.tf.json`` it has, without cdktf.

Every stack gets a key, a sha256 over everything its Terraform JSON depends on:

- the code that writes it: a sha256 of every file of the ``fleetform`` package (its modules, the generated
  bindings in ``fleetform/providers`` and the provider schema, templates and data; about 160 files, read in a
  few milliseconds), so that no change to the code can go unnoticed and no list of files has to be kept; plus
  the versions of fleetform, cdktf (or cdktn), constructs and jsii, and the environment variables cdktf reads
  while synthesizing;
- the stack: its name, cluster (name and host), backend, state location, imports, and its application's
  props, i.e. the manifest as rendered for that cluster and resolved against the site (VLANs, templates,
  image mirror and the sizes of local images, ``--allow-data-loss``), including where every VM and disk was
  declared (the cached warnings carry those positions).

The index, ``OUTDIR/.fleetform/synth-cache.json``, records per stack the key, the sha256 of the
``cdk.tf.json`` that synth wrote, the stack's entry in ``manifest.json`` and its warnings. A stack is taken
from the cache only when its key matches and its ``cdk.tf.json`` still has that sha256; anything else is
synthesized again. When every stack is taken from the cache, cdktf is not started at all and ``manifest.json``
is written from the recorded entries (:mod:`fleetform.synth.synthesize`).

``FLEETFORM_SYNTH_CACHE=off`` (or ``0``/``false``) turns reuse off; the index is still written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from fleetform import __version__
from fleetform._cdk_choice import library
from fleetform.errors import Issue, Location

FORMAT = 1
INDEX = Path(".fleetform") / "synth-cache.json"
STACK_FILE = "cdk.tf.json"
ENV = "FLEETFORM_SYNTH_CACHE"
# What cdktf reads from the environment while it builds and writes a stack.
_CDKTF_ENV = ("CDKTF_CONTEXT_JSON", "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS", "SYNTH_HCL_OUTPUT")
# The whole fleetform package (this module lives in fleetform/synth/).
_PACKAGE = Path(__file__).resolve().parents[1]


def enabled_by_env() -> bool:
    """False when ``FLEETFORM_SYNTH_CACHE`` says off."""
    return os.environ.get(ENV, "").strip().lower() not in ("off", "0", "false", "no")


@dataclass(frozen=True)
class Entry:
    """What the index keeps about one stack."""

    key: str
    sha256: str
    manifest: dict[str, Any]
    """The stack's entry in ``manifest.json``."""
    warnings: list[Issue]


class SynthCache:
    """The index of one synth output directory."""

    def __init__(self, outdir: Path, entries: dict[str, Entry] | None = None, version: str | None = None):
        self.outdir = outdir
        self.entries = entries or {}
        self.version = version
        """The ``version`` of ``manifest.json`` (cdktf's), as last written."""
        self._fingerprint: str | None = None

    @classmethod
    def load(cls, outdir: Path) -> SynthCache:
        """The index in ``outdir`` (empty when missing, unreadable or of another format)."""
        try:
            data = json.loads((outdir / INDEX).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return cls(outdir)
            entries = {name: _entry(raw) for name, raw in data["stacks"].items()}
            return cls(outdir, entries, data.get("version"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(outdir)

    def key(self, stack: str, inputs: Mapping[str, Any]) -> str:
        """The key of ``stack`` given everything its JSON depends on besides the code (``inputs``)."""
        digest = hashlib.sha256(self.fingerprint().encode())
        digest.update(stack.encode() + b"\0")
        digest.update(json.dumps(inputs, sort_keys=True, default=_plain, ensure_ascii=False).encode())
        return digest.hexdigest()

    def reusable(self, stack: str, key: str) -> Entry | None:
        """The entry of ``stack`` if its key is ``key`` and its ``cdk.tf.json`` is the one synth wrote."""
        entry = self.entries.get(stack)
        if entry is None or entry.key != key:
            return None
        try:
            written = (self.outdir / "stacks" / stack / STACK_FILE).read_bytes()
        except OSError:
            return None
        return entry if hashlib.sha256(written).hexdigest() == entry.sha256 else None

    def record(self, stack: str, key: str, manifest: dict[str, Any], warnings: Iterable[Issue]) -> None:
        """Remember what synth wrote for ``stack`` (its ``cdk.tf.json`` is read and hashed now)."""
        written = (self.outdir / "stacks" / stack / STACK_FILE).read_bytes()
        self.entries[stack] = Entry(key, hashlib.sha256(written).hexdigest(), manifest, list(warnings))

    def save(self, stacks: Iterable[str]) -> None:
        """Write the index for ``stacks`` (others are forgotten), atomically."""
        keep = set(stacks)
        data = {
            "format": FORMAT,
            "version": self.version,
            "stacks": {
                name: {
                    "key": e.key,
                    "sha256": e.sha256,
                    "manifest": e.manifest,
                    "warnings": [_issue_data(w) for w in e.warnings],
                }
                for name, e in sorted(self.entries.items())
                if name in keep
            },
        }
        path = self.outdir / INDEX
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        partial.replace(path)

    def fingerprint(self) -> str:
        """sha256 of the code and tool versions that decide a stack's JSON (computed once)."""
        if self._fingerprint is None:
            self._fingerprint = code_fingerprint()
        return self._fingerprint


def code_fingerprint(package: Path = _PACKAGE) -> str:
    """sha256 of every file in ``package`` (by path relative to it, and content), tool versions and the
    environment cdktf reads."""
    digest = hashlib.sha256(f"format {FORMAT}\0fleetform {__version__}\0".encode())
    digest.update(f"library {library()}\0".encode())
    for name in ("cdktf", "cdktn", "constructs", "jsii"):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name} {version}\0".encode())
    for variable in _CDKTF_ENV:
        digest.update(f"{variable}={os.environ.get(variable, '')}\0".encode())
    for path in package_files(package):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def package_files(package: Path) -> list[Path]:
    """Every file under ``package`` in a stable order; bytecode caches and dangling links left out, linked
    directories (the scaffold's workflows) not followed."""
    files = []
    for directory, subdirectories, names in os.walk(package):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(names):
            path = Path(directory, name)
            if not name.endswith((".pyc", ".pyo")) and path.is_file():
                files.append(path)
    return files


def props_data(props: Any) -> str:
    """A tree of frozen dataclasses (the props) as text for a key: their ``repr`` shows every field of every
    nested dataclass (none of the props' fields opts out of it), and is four times quicker than ``asdict``."""
    return repr(props)


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return repr(value)


def _issue_data(issue: Issue) -> dict[str, Any]:
    loc = issue.location
    return {
        "path": loc.path,
        "line": loc.line,
        "col": loc.col,
        "message": issue.message,
        "hint": issue.hint,
        "severity": issue.severity,
    }


def _entry(raw: Mapping[str, Any]) -> Entry:
    warnings = [
        Issue(Location(w["path"], int(w["line"]), int(w["col"])), w["message"], w["hint"], w["severity"])
        for w in raw["warnings"]
    ]
    manifest = raw["manifest"]
    if not isinstance(manifest, dict):
        raise TypeError("manifest entry")
    return Entry(str(raw["key"]), str(raw["sha256"]), manifest, warnings)
