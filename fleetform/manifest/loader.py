"""Manifest files and directories -> :class:`LoadedManifest`s, or one ManifestError with every problem.

Every file is read and checked even after one fails, so a single run reports every error of every file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from fleetform.errors import InputError, Issue, Location, ManifestError
from fleetform.manifest.model import Application, Finding, VirDomain, check_application, startup_order
from fleetform.manifest.secrets import scan
from fleetform.manifest.templating import Renderer
from fleetform.yamlsrc import NodePath, YamlDocument, describe, issues_from_validation_error, parse_yaml

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedManifest:
    """A valid manifest with the positions of its nodes, for errors found later (constructs, synth)."""

    path: str
    application: Application
    doc: YamlDocument = field(repr=False)
    warnings: list[Issue] = field(default_factory=list)
    source: ManifestSource | None = field(default=None, repr=False)
    """The manifest as written (templates not rendered)."""
    origins: dict[int, int] = field(default_factory=dict, repr=False)
    """VM index -> the index, in the manifest as written, of the VM it was rendered from (replicas)."""
    startup: dict[str, list[str]] = field(default_factory=dict)
    """VM name -> the VMs that must be powered on before it (``x-fleetform.depends_on``, resolved)."""
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


@dataclass
class ManifestSource:
    """A manifest file as written: YAML parsed, templates not rendered yet, nothing validated."""

    path: str
    doc: YamlDocument = field(repr=False)

    @property
    def raw_name(self) -> str | None:
        """``metadata.name`` as written (possibly a template), if it is text."""
        metadata = self.doc.data.get("metadata") if isinstance(self.doc.data, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return name if isinstance(name, str) else None

    @property
    def labels(self) -> list[str]:
        """``metadata.labels`` as written (text items only)."""
        metadata = self.doc.data.get("metadata") if isinstance(self.doc.data, dict) else None
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        return [label for label in labels if isinstance(label, str)] if isinstance(labels, list) else []


def default_variables() -> dict[str, Any]:
    """Template variables when no cluster is named: the single, implicit ``default`` cluster."""
    return {"clusterName": "default", "clusterId": "default"}


def parse_source(text: str, path: str) -> ManifestSource:
    """Parse one manifest's YAML (``path`` names it in errors). Raises ManifestError for what is not one
    Application document; field errors wait for :func:`render_manifest`."""
    try:
        doc = parse_yaml(text, path, keep_going=True)
    except InputError as exc:
        raise ManifestError(exc.issues) from None
    issues = _shape_issues(doc)
    if issues:
        raise ManifestError(issues + doc.issues)
    return ManifestSource(path=path, doc=doc)


def render_manifest(source: ManifestSource, variables: Mapping[str, Any] | None = None) -> LoadedManifest:
    """Render ``source``'s templates with ``variables``, expand replicas and validate. Raises ManifestError
    with every problem found (each at the manifest's own line)."""
    rendered = Renderer({**default_variables(), **(variables or {})}).render(source.doc)
    doc = rendered.doc
    issues = list(doc.issues) + rendered.issues
    application = None
    if not rendered.issues:
        try:
            application = Application.model_validate(doc.data)
        except pydantic.ValidationError as exc:
            issues.extend(issues_from_validation_error(exc, doc, Application))
    warnings: list[Issue] = []
    startup: dict[str, list[str]] = {}
    if application is not None:
        findings = check_application(application)
        startup_findings, startup = startup_order(application, source.doc.data, rendered.origins)
        for finding in [*findings, *startup_findings]:
            issue = _finding_issue(finding, doc)
            (issues if issue.is_error else warnings).append(issue)
        warnings.extend(_secret_warnings(application, doc))
    if issues or application is None:
        raise ManifestError(issues + warnings)
    return LoadedManifest(
        path=source.path,
        application=application,
        doc=doc,
        warnings=warnings,
        source=source,
        origins=rendered.origins,
        startup=startup,
    )


def parse_manifest(text: str, path: str, variables: Mapping[str, Any] | None = None) -> LoadedManifest:
    """Validate one manifest given as text (``path`` names it in errors). Raises ManifestError."""
    return render_manifest(parse_source(text, path), variables)


def _shape_issues(doc: YamlDocument) -> list[Issue]:
    data = doc.data
    root = doc.locate(())
    if not isinstance(data, dict):
        return [
            Issue(
                root,
                f"this file holds {describe(data)}, not an Application manifest",
                'a manifest is a mapping that starts with type: Application and version: "1.0.0"',
            )
        ]
    kind = data.get("type")
    if isinstance(kind, str) and kind != "Application":  # other shapes are left to the model's message
        return [
            Issue(
                doc.locate(("type",)),
                f"this file is a {json.dumps(kind)} document, not an Application manifest",
                "fleetform reads only type: Application; move other documents out of the manifest paths",
            )
        ]
    return []


def _secret_warnings(application: Application, doc: YamlDocument) -> list[Issue]:
    """Warnings for cloud-init text that seems to hold a secret value in the clear."""
    warnings = []
    for index, vm in enumerate(application.spec.resources):
        init = vm.spec.cloud_init_data
        if init is None:
            continue
        for key in ("user_data", "meta_data"):
            text = getattr(init, key)
            if not text:
                continue
            at = ("spec", "resources", index, "spec", "cloud_init_data", key)
            for finding in scan(text):
                warnings.append(
                    Issue(
                        doc.text_line(at, finding.line),
                        f"VM '{vm.name}' cloud-init {key} seems to hold {finding.what} in plain text; it would "
                        "be stored in Git, the synthesized JSON, plan output and Terraform state",
                        'reference a secret instead: {{ secret("name") }}, fed from TF_VAR_secret_<name>',
                        severity="warning",
                    )
                )
    return warnings


def _finding_issue(finding: Finding, doc: YamlDocument) -> Issue:
    message = finding.message
    if finding.first is not None:
        message += f" (first at line {doc.locate(finding.first).line})"
    return Issue(doc.locate(finding.path), message, finding.hint, finding.severity)


def load_source(path: str | Path) -> ManifestSource:
    """Read and parse one manifest file. Raises ManifestError."""
    return parse_source(_read(Path(path)), str(path))


def load_manifest(path: str | Path, variables: Mapping[str, Any] | None = None) -> LoadedManifest:
    """Read, render and validate one manifest file. Raises ManifestError."""
    return render_manifest(load_source(path), variables)


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


def load_sources(paths: Sequence[str | Path]) -> list[ManifestSource]:
    """Read and parse every manifest that ``paths`` name; one ManifestError with every problem of every file."""
    files, issues = manifest_files(paths)
    sources: list[ManifestSource] = []
    for file in files:
        try:
            sources.append(load_source(file))
        except InputError as exc:
            issues.extend(exc.issues)
    if any(issue.is_error for issue in issues):
        raise ManifestError(issues)
    return sources


def load_manifests(
    paths: Sequence[str | Path], variables: Mapping[str, Any] | None = None
) -> list[LoadedManifest]:
    """Load every manifest that ``paths`` name; raise one ManifestError with every problem of every file.

    Two applications with the same ``metadata.name`` are an error: each becomes a Terraform stack so named.
    """
    files, issues = manifest_files(paths)
    loaded: list[LoadedManifest] = []
    for file in files:
        try:
            loaded.append(load_manifest(file, variables))
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
