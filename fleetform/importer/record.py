"""The imports file: which Terraform address takes over which existing HyperCore object.

``fleetform import`` writes it next to the manifest it writes, with the manifest's stem and the suffix
``.imports.json`` (``manifests/legacy.yaml`` -> ``manifests/legacy.imports.json``; not ``.yaml``, which the
manifest loader would read as a manifest). Synth reads it and emits a Terraform ``import`` block for every
address that exists in the stack of the recorded cluster::

    {
      "version": 1,
      "application": "legacy",
      "cluster": null,
      "imports": {
        "hypercore_disk.web-01__disk-0": "<vm uuid>:VIRTIO_DISK:0",
        "hypercore_nic.web-01__web-net": "<vm uuid>:VIRTIO:20",
        "hypercore_vm.web-01": "<vm uuid>",
        "hypercore_vm_boot_order.web-01": "<vm uuid>",
        "hypercore_vm_power_state.web-01": "<vm uuid>"
      }
    }

``cluster`` is the name of the cluster under ``clusters:`` in fleetform.yaml the VMs were read from, or
``null`` for a site without clusters (``HC_HOST``). ``application`` is informational. Import IDs are the
provider's (provider.md §4): a UUID, ``vm_uuid:TYPE:slot`` for disks and ``vm_uuid:TYPE:vlan`` for NICs.

This module imports nothing from fleetform but :mod:`fleetform.errors`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.errors import InputError, Issue, Location

VERSION = 1
SUFFIX = ".imports.json"
_ADDRESS = re.compile(r"^hypercore_[a-z_]+\.[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class ImportRecord:
    """What one imports file says."""

    application: str
    """The application the VMs were imported into (informational)."""
    cluster: str | None
    """The cluster (``clusters:`` name) the VMs live on; ``None``: the site's only, implicit cluster."""
    imports: Mapping[str, str] = field(default_factory=dict)
    """Terraform address -> the provider's import ID."""

    def to_json(self) -> str:
        """The file's text: stable key order, one address per line, a final newline."""
        data = {
            "version": VERSION,
            "application": self.application,
            "cluster": self.cluster,
            "imports": dict(sorted(self.imports.items())),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def vm_uuids(self) -> set[str]:
        """The UUIDs of the VMs this record imports."""
        return {value for address, value in self.imports.items() if address.startswith("hypercore_vm.")}


def imports_path(manifest_path: str | Path) -> Path:
    """The imports file that belongs to a manifest: same directory, same stem, ``.imports.json``."""
    path = Path(manifest_path)
    return path.with_name(path.stem + SUFFIX)


def read_record(path: str | Path) -> ImportRecord | None:
    """The imports file at ``path``, or ``None`` if there is none. Raises InputError (at the file) if invalid."""
    where = Location(str(path))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Issue(where, f"cannot read the imports file: {exc}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            [
                Issue(
                    Location(str(path), exc.lineno, exc.colno),
                    f"the imports file is not valid JSON: {exc.msg}",
                    "it is written by `fleetform import`; run it again with --force to rewrite it",
                )
            ]
        ) from None
    return parse_record(data, str(path))


def parse_record(data: Any, path: str) -> ImportRecord:
    """An imports file's decoded JSON as a record. Raises InputError naming ``path``."""
    where = Location(path)
    problems: list[str] = []
    if not isinstance(data, dict):
        raise InputError([Issue(where, "the imports file must hold a JSON object")])
    if data.get("version") != VERSION:
        problems.append(
            f"unsupported version {data.get('version')!r}; this fleetform reads version {VERSION}"
        )
    application = data.get("application", "")
    if not isinstance(application, str):
        problems.append("'application' must be a string")
        application = ""
    cluster = data.get("cluster")
    if cluster is not None and not isinstance(cluster, str):
        problems.append("'cluster' must be a cluster name or null")
        cluster = None
    imports = data.get("imports")
    if not isinstance(imports, dict):
        problems.append("'imports' must be an object of Terraform address -> import ID")
        imports = {}
    for address, value in imports.items():
        if not _ADDRESS.match(address):
            problems.append(f"'{address}' is not a hypercore resource address (hypercore_<type>.<name>)")
        if not isinstance(value, str) or not value:
            problems.append(f"the import ID of '{address}' must be a non-empty string")
    unknown = sorted(set(data) - {"version", "application", "cluster", "imports"})
    if unknown:
        problems.append(f"unknown key{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
    if problems:
        raise InputError(
            Issue(where, p, "it is written by `fleetform import`; run it again with --force to rewrite it")
            for p in problems
        )
    return ImportRecord(application=application, cluster=cluster, imports=dict(imports))
