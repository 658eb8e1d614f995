"""Imported VMs -> the manifest's text, checked with fleetform's own loader, and atomic writes of both files.

The text is written by hand rather than dumped, so that it reads like a manifest a person wrote: the seed's
key order, sizes with a comment in GiB, and comments where something was left out. Every string is a
double-quoted YAML scalar; one that Jinja would read as a template is wrapped in ``{% raw %}``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from fleetform.errors import InputError
from fleetform.importer.convert import ImportedVm
from fleetform.importer.errors import ImportFailed
from fleetform.manifest.loader import LoadedManifest, parse_manifest
from fleetform.manifest.templating import has_template
from fleetform.manifest.units import format_size
from fleetform.site.config import SiteConfig

GB = 1000**3


def scalar(text: str) -> str:
    """A YAML double-quoted scalar for ``text`` that the manifest renderer reads back unchanged."""
    if has_template(text):
        if "endraw" in text:
            raise ImportFailed(f"cannot write {text!r} so that the manifest's templating leaves it alone")
        text = "{% raw %}" + text + "{% endraw %}"
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30).rstrip("\n")


def manifest_text(
    application: str,
    vms: Sequence[ImportedVm],
    *,
    source: str,
    imports_file: str,
    labels: Sequence[str] = (),
) -> str:
    """The manifest for ``vms``: one application, VMs by name."""
    lines = [
        f"# Imported from {source} by `fleetform import`. The Terraform import IDs of every VM, disk, NIC,",
        f"# boot order and power state are in {imports_file}; the next synth turns them into import blocks.",
        "# Not recoverable after the fact, so not here: the image each disk was copied from (disks have no",
        "# source) and cloud-init data (imported VMs are never cloned). Keep the imports file with this one.",
        "type: Application",
        'version: "1.0.0"',
        "metadata:",
        f"  name: {scalar(application)}",
    ]
    if labels:
        lines.append("  labels:")
        lines += [f"    - {scalar(label)}" for label in labels]
    lines += ["spec:", "  resources:"]
    for vm in sorted(vms, key=lambda v: v.name):
        lines += _vm_lines(vm)
    return "\n".join(lines) + "\n"


def _vm_lines(vm: ImportedVm) -> list[str]:
    lines = [
        "    - type: virdomain",
        f"      name: {scalar(vm.name)}",
        "      spec:",
        f"        description: {scalar(vm.description)}",
        f"        cpu: {vm.cpu}",
        f'        memory: "{vm.memory}"  # {format_size(vm.memory)}',
        f"        machine_type: {vm.machine_type}",
        f"        state: {vm.state}",
    ]
    if vm.tags:
        lines.append("        tags:")
        lines += [f"          - {scalar(tag)}" for tag in vm.tags]
    if vm.disks:
        lines.append("        storage_devices:")
        for disk in vm.disks:
            lines += [f"          - name: {disk.name}", f"            type: {disk.type}"]
            if disk.capacity is not None:
                shown = (
                    f"{disk.capacity / GB:g} GB" if disk.capacity % 1024**3 else format_size(disk.capacity)
                )
                lines.append(f"            capacity: {disk.capacity}  # {shown}, slot {disk.slot}")
            if disk.boot is not None:
                lines.append(f"            boot: {disk.boot}")
    if vm.nics:
        lines.append("        network_devices:")
        for nic in vm.nics:
            lines += [
                f"          - name: {nic.network}  # VLAN {nic.vlan}, MAC {nic.mac}",
                "            type: virtio",
            ]
    return lines


def check_manifest(text: str, path: Path, site: SiteConfig, vms: Sequence[ImportedVm]) -> LoadedManifest:
    """Read ``text`` back as fleetform reads manifests, check it against the site, and make sure every VM says
    what the cluster says. Raises InputError (the loader's) or ImportFailed (a value did not survive)."""
    lm = parse_manifest(text, str(path))
    issues = [issue for issue in site.check(lm) if issue.is_error]
    if issues:
        raise InputError(issues)
    for vm in vms:
        spec = lm.vm(vm.name).spec
        got = (spec.description, spec.cpu, spec.memory, spec.machine_type, spec.state, spec.tags)
        wanted = (vm.description, vm.cpu, vm.memory, vm.machine_type, vm.state, vm.tags)
        disks = [(d.name, d.type, d.capacity, d.boot) for d in spec.storage_devices]
        wanted_disks = [(d.name, d.type, d.capacity, d.boot) for d in vm.disks]
        nics = [n.name for n in spec.network_devices]
        if got != wanted or disks != wanted_disks or nics != [n.network for n in vm.nics]:
            raise ImportFailed(
                f"VM '{vm.name}' does not read back as it was written; this is a bug in fleetform"
            )
    return lm


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
