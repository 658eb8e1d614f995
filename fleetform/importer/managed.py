"""Which VMs some other fleetform application already manages, so that an import never takes them over.

Three places say so: the site's local Terraform state files (``<state dir>/<stack>.tfstate``: the UUID of
every ``hypercore_vm``), other imports files (the VM UUIDs they import), and other manifests (the VM names
they give, rendered for the cluster being imported from). The application being imported is not "other":
re-importing it with ``--force`` sees its own stack, manifest and imports file as its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.errors import InputError
from fleetform.importer.record import SUFFIX, imports_path, read_record
from fleetform.manifest.loader import load_source, manifest_files, render_manifest
from fleetform.site.config import SiteConfig, Target


@dataclass
class ManagedVms:
    """VMs that belong to other fleetform applications: by UUID and by name, each with who manages it."""

    by_uuid: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    own: dict[str, tuple[str, str]] = field(default_factory=dict)
    """VMs in the state of the application's own stack (on this cluster): UUID -> (stack, VM name)."""
    applications: dict[str, Path] = field(default_factory=dict)
    """metadata.name of every other manifest -> its file."""
    notes: list[str] = field(default_factory=list)
    """What could not be checked, one sentence each."""

    def owner(self, uuid: str, name: str) -> str | None:
        """Who manages the VM (a stack, imports file or manifest), or None."""
        return self.by_uuid.get(uuid) or self.by_name.get(name)


def find_managed(
    site: SiteConfig,
    target: Target,
    manifest_paths: Sequence[Path],
    *,
    application: str,
    own_manifest: Path,
) -> ManagedVms:
    """The VMs other applications of this site manage (on ``target``'s cluster, for names)."""
    found = ManagedVms()
    own = {own_manifest.resolve(), imports_path(own_manifest).resolve()}
    _from_state(site, target.stack_name(application), found)
    files, _ = manifest_files([p for p in manifest_paths if p.exists()])
    directories = {p.resolve() for p in manifest_paths if p.is_dir()} | {own_manifest.resolve().parent}
    for directory in sorted(directories):
        for path in sorted(directory.glob(f"*{SUFFIX}")):
            if path.resolve() not in own:
                _from_record(path, found)
    for path in files:
        if path.resolve() in own:
            continue
        if path.parent.resolve() not in directories:
            record = imports_path(path)
            if record.exists():
                _from_record(record, found)
        _from_manifest(path, target, found)
    return found


def _from_state(site: SiteConfig, own_stack: str, found: ManagedVms) -> None:
    if site.state.backend != "local":
        found.notes.append(
            "Terraform state lives in PostgreSQL, which fleetform import does not read: VMs that only the state "
            "of another stack names were not checked (other manifests and imports files were)"
        )
        return
    directory = site.state_dir
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.tfstate")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            found.notes.append(
                f"could not read the state file {path} ({exc}); the VMs it holds were not checked"
            )
            continue
        for uuid, name in _state_vms(data):
            if path.stem == own_stack:
                found.own[uuid] = (path.stem, name)
            else:
                found.by_uuid.setdefault(uuid, f"stack '{path.stem}' ({path})")


def _state_vms(data: Any) -> list[tuple[str, str]]:
    """(UUID, name) of every ``hypercore_vm`` in a state file."""
    vms: list[tuple[str, str]] = []
    resources = data.get("resources") if isinstance(data, dict) else None
    for resource in resources if isinstance(resources, list) else []:
        if not isinstance(resource, dict) or resource.get("mode", "managed") != "managed":
            continue
        if resource.get("type") != "hypercore_vm":
            continue
        for instance in resource.get("instances") or []:
            attributes = instance.get("attributes") if isinstance(instance, dict) else None
            if not isinstance(attributes, dict):
                continue
            uuid, name = attributes.get("id"), attributes.get("name")
            if isinstance(uuid, str) and uuid:
                vms.append((uuid, name if isinstance(name, str) else uuid))
    return vms


def _from_record(path: Path, found: ManagedVms) -> None:
    try:
        record = read_record(path)
    except InputError as exc:
        found.notes.append(
            f"could not read {path} ({exc.issues[0].message}); the VMs it imports were not checked"
        )
        return
    if record is None:
        return
    for uuid in record.vm_uuids():
        found.by_uuid.setdefault(uuid, f"application '{record.application}' ({path})")


def _from_manifest(path: Path, target: Target, found: ManagedVms) -> None:
    try:
        source = load_source(path)
        if source.raw_name:
            found.applications.setdefault(source.raw_name, path)
        if not target.selects(source.labels):
            return
        lm = render_manifest(source, target.variables(source.raw_name))
    except InputError as exc:
        first = exc.issues[0] if exc.issues else None
        found.notes.append(
            f"could not read {path} ({first}); the VM names it gives were not checked (fleetform validate "
            "says more)"
        )
        return
    found.applications.setdefault(lm.name, path)
    for vm in lm.application.spec.resources:
        found.by_name.setdefault(vm.name, f"application '{lm.name}' ({path})")
