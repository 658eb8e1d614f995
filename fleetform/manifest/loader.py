"""Manifest files and directories -> :class:`LoadedManifest`s, or one ManifestError with every problem.

Every file is read and checked even after one fails, so a single run reports every error of every file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from fleetform.errors import InputError, Issue, Location, ManifestError
from fleetform.manifest.model import Application, Finding, VirDomain, check_application
from fleetform.yamlsrc import NodePath, YamlDocument, describe, issues_from_validation_error, parse_yaml

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedManifest:
    """A valid manifest with the positions of its nodes, for errors found later (constructs, synth)."""

    path: str
    application: Application
    doc: YamlDocument = field(repr=False)
    warnings: list[Issue] = field(default_factory=list)
    _vm_index: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for index, vm in enumerate(self.application.spec.resources):
            self._vm_index.setdefault(vm.name, index)

    @property
    def name(self) -> str:
        """The application's ``metadata.name``."""
        return self.application.metadata.name

    def locate(self, *path: Any) -> Location:
        """The node at ``path`` (or its nearest ancestor), e.g. ``locate("spec", "assets", 0)``."""
        return self.doc.locate(path)

    def vm_path(self, vm_name: str) -> NodePath:
        """The node path of a VM (``("spec", "resources", i)``). Raises KeyError for an unknown VM."""
        return ("spec", "resources", self._vm_index[vm_name])

    def vm(self, vm_name: str) -> VirDomain:
        """The VM called ``vm_name``. Raises KeyError for an unknown VM."""
        return self.application.spec.resources[self._vm_index[vm_name]]

    def locate_vm(self, vm_name: str) -> Location:
        """The line of a VM's ``name:``."""
        return self.doc.locate((*self.vm_path(vm_name), "name"))

    def locate_field(self, vm_name: str, *field_path: Any) -> Location:
        """A field of a VM's spec, e.g. ``locate_field("web-01", "memory")``; if missing, the spec."""
        return self.doc.locate((*self.vm_path(vm_name), "spec", *field_path))

    def locate_disk(self, vm_name: str, disk_name: str, *field_path: Any) -> Location:
        """A storage device (or one of its fields, e.g. ``"capacity"``) of a VM, by device name."""
        index = _index_of(self.vm(vm_name).spec.storage_devices, disk_name)
        return self.locate_field(vm_name, "storage_devices", index, *field_path)

    def locate_nic(self, vm_name: str, index: int, *field_path: Any) -> Location:
        """A network device of a VM, by its position in ``network_devices``."""
        return self.locate_field(vm_name, "network_devices", index, *field_path)

    def locate_asset(self, asset_name: str, *field_path: Any) -> Location:
        """An asset (or one of its fields, e.g. ``"url"``), by name."""
        index = _index_of(self.application.spec.assets, asset_name)
        return self.doc.locate(("spec", "assets", index, *field_path))


def _index_of(items: Sequence[Any], name: str) -> int:
    """The position of the first item called ``name``. Raises KeyError."""
    for index, item in enumerate(items):
        if item.name == name:
            return index
    raise KeyError(name)


def parse_manifest(text: str, path: str) -> LoadedManifest:
    """Validate one manifest given as text (``path`` names it in errors). Raises ManifestError."""
    try:
        doc = parse_yaml(text, path, keep_going=True)
    except InputError as exc:
        raise ManifestError(exc.issues) from None
    issues = list(doc.issues)
    application = _validate(doc, issues)
    warnings: list[Issue] = []
    if application is not None:
        for finding in check_application(application):
            issue = _finding_issue(finding, doc)
            (issues if issue.is_error else warnings).append(issue)
    if issues or application is None:
        raise ManifestError(issues + warnings)
    return LoadedManifest(path=path, application=application, doc=doc, warnings=warnings)


def _validate(doc: YamlDocument, issues: list[Issue]) -> Application | None:
    data = doc.data
    root = doc.locate(())
    if not isinstance(data, dict):
        issues.append(
            Issue(
                root,
                f"this file holds {describe(data)}, not an Application manifest",
                'a manifest is a mapping that starts with type: Application and version: "1.0.0"',
            )
        )
        return None
    kind = data.get("type")
    if isinstance(kind, str) and kind != "Application":  # other shapes are left to the model's message
        issues.append(
            Issue(
                doc.locate(("type",)),
                f"this file is a {json.dumps(kind)} document, not an Application manifest",
                "fleetform reads only type: Application; move other documents out of the manifest paths",
            )
        )
        return None
    try:
        return Application.model_validate(data)
    except pydantic.ValidationError as exc:
        issues.extend(issues_from_validation_error(exc, doc, Application))
        return None


def _finding_issue(finding: Finding, doc: YamlDocument) -> Issue:
    message = finding.message
    if finding.first is not None:
        message += f" (first at line {doc.locate(finding.first).line})"
    return Issue(doc.locate(finding.path), message, finding.hint, finding.severity)


def load_manifest(path: str | Path) -> LoadedManifest:
    """Read and validate one manifest file. Raises ManifestError."""
    return parse_manifest(_read(Path(path)), str(path))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError([Issue(Location(str(path)), "no such file", "check the path")]) from None
    except UnicodeDecodeError as exc:
        raise ManifestError(
            [Issue(Location(str(path)), f"not a UTF-8 text file ({exc.reason} at byte {exc.start})")]
        ) from None
    except OSError as exc:
        raise ManifestError([Issue(Location(str(path)), f"cannot read the file: {exc.strerror}")]) from None


def manifest_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Issue]]:
    """The files ``paths`` name (a directory: its ``*.yaml``/``*.yml``, sorted), and the problems found."""
    files: list[Path] = []
    issues: list[Issue] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in MANIFEST_SUFFIXES and p.is_file())
            if not found:
                issues.append(
                    Issue(Location(str(path)), "no *.yaml or *.yml files in this directory", "check the path")
                )
        elif path.exists():
            found = [path]
        else:
            issues.append(Issue(Location(str(path)), "no such file or directory", "check the path"))
            continue
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, issues


def load_manifests(paths: Sequence[str | Path]) -> list[LoadedManifest]:
    """Load every manifest that ``paths`` name; raise one ManifestError with every problem of every file.

    Two applications with the same ``metadata.name`` are an error: each becomes a Terraform stack so named.
    """
    files, issues = manifest_files(paths)
    loaded: list[LoadedManifest] = []
    for file in files:
        try:
            loaded.append(load_manifest(file))
        except InputError as exc:
            issues.extend(exc.issues)
    by_name: dict[str, LoadedManifest] = {}
    for lm in loaded:
        other = by_name.get(lm.name)
        if other is None:
            by_name[lm.name] = lm
            continue
        issues.append(
            Issue(
                lm.locate("metadata", "name"),
                f"application name '{lm.name}' is also used by {other.locate('metadata', 'name')}",
                "application names must be unique: each becomes its own Terraform stack and state",
            )
        )
    if any(issue.is_error for issue in issues):
        raise ManifestError(issues)
    return loaded
