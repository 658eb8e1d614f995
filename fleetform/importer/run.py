"""The whole of ``fleetform import``: choose the VMs, read them, convert them, check the result, write it.

:func:`prepare_import` reads the cluster and builds everything in memory (nothing is written, so any error
leaves the project as it was); :func:`write_import` writes the imports file and then the manifest, each
atomically. A manifest without its imports file would make the next synth clone new VMs over the names of
the existing ones; the other way round is harmless, hence the order.

Outcomes, per VM: imported; skipped with the reason (a template VM, managed by another fleetform application,
a name a manifest cannot have, PAUSED, an unknown machine type, gone from the cluster while the import ran, a
Terraform address another VM of the import already has). For the whole run: an error (exit 1, nothing
written) when no VM matches or none is left to import, when a NIC's VLAN has no network in fleetform.yaml, or
when a machine type has no template there (both say which line to add), or when the files exist (``force``).
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.addresses import logical_id
from fleetform.errors import ApiNotFound, InputError, Issue, Location
from fleetform.hypercore.client import HypercoreClient
from fleetform.importer.convert import ImportedVm, NetworkMap, Skipped, convert_vm
from fleetform.importer.errors import ImportFailed
from fleetform.importer.managed import find_managed
from fleetform.importer.record import ImportRecord, imports_path
from fleetform.importer.write import check_manifest, manifest_text, write_atomically
from fleetform.site.config import SiteConfig, Target
from fleetform.yamlsrc import did_you_mean

API = "/rest/v1"
APP_NAME = re.compile(r"^[A-Za-z0-9_.-]([-A-Za-z0-9_.]*[A-Za-z0-9_.])?$")
LEFT_OUT = (
    "the image each disk was copied from: not knowable after the fact, so the disks have no source",
    "cloud-init data: it only applies when a VM is created, and imported VMs are never cloned",
)

Progress = Callable[[int, int, str], None]
"""Called after each VM is read: (done, total, VM name)."""


@dataclass(frozen=True)
class ImportOptions:
    """What ``fleetform import`` was asked to do."""

    application: str
    """The application (``metadata.name``) the VMs go into."""
    matches: Sequence[str] = ()
    """Name globs (``fnmatch``, case-sensitive); a VM matching any of them is imported. Default: every VM."""
    tags: Sequence[str] = ()
    """HyperCore tags a VM must all carry. Default: none required."""
    out: Path | None = None
    """The manifest to write. Default: ``<first manifest directory>/<application>.yaml``."""
    manifest_paths: Sequence[Path] = (Path("manifests"),)
    """The site's manifests, read to find VMs other applications already have."""
    cluster: str | None = None
    """The cluster under ``clusters:`` to import from. Default: the only one, or ``HC_HOST`` without clusters."""
    force: bool = False
    """Replace an existing manifest and imports file. Default: refuse."""
    include_templates: bool = False
    """Also import the site's template VMs (``templates:``). Default: skip them."""

    @property
    def manifest_path(self) -> Path:
        """Where the manifest goes."""
        if self.out is not None:
            return self.out
        first = self.manifest_paths[0] if self.manifest_paths else Path("manifests")
        directory = first if first.is_dir() or first.suffix not in (".yaml", ".yml") else first.parent
        return directory / f"{self.application}.yaml"


@dataclass
class ImportReport:
    """What an import found and (once written) wrote."""

    application: str
    cluster: str | None
    host: str
    manifest_path: Path
    imports_path: Path
    seen: int = 0
    """VMs on the cluster."""
    matched: int = 0
    """VMs that matched the globs and tags (templates included)."""
    vms: list[ImportedVm] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    """Template VMs (fleetform.yaml ``templates:``) that matched and were left out."""
    notes: list[str] = field(default_factory=list)
    """About the whole run: what could not be checked, clusters the application also runs on."""
    left_out: Sequence[str] = LEFT_OUT
    manifest: str = ""
    record: ImportRecord | None = None
    seconds: float = 0.0

    @property
    def import_count(self) -> int:
        """Resources the next plan imports."""
        return len(self.record.imports) if self.record else 0

    @property
    def cloud_init_vms(self) -> list[str]:
        """Imported VMs whose cloud-init data was left behind."""
        return [vm.name for vm in self.vms if vm.has_cloud_init]


def resolve_target(site: SiteConfig, cluster: str | None) -> Target:
    """The cluster to import from: ``cluster`` by name, the only one, or the implicit one (``HC_HOST``)."""
    targets = site.targets()
    names = [t.cluster.name for t in targets if t.cluster is not None]
    if cluster is None:
        if len(targets) == 1:
            return targets[0]
        raise ImportFailed(
            f"{site.source or 'fleetform.yaml'} defines clusters {', '.join(names)}; say which one the VMs are "
            "on with --cluster NAME"
        )
    for target in targets:
        if target.cluster is not None and target.cluster.name == cluster:
            return target
    if not names:
        raise ImportFailed(
            f"--cluster {cluster}: {site.source or 'fleetform.yaml'} defines no clusters; leave --cluster out "
            "to import from HC_HOST"
        )
    guess = did_you_mean(cluster, names)
    raise ImportFailed(
        f"--cluster {cluster}: no such cluster in {site.source or 'fleetform.yaml'}"
        + (f"; did you mean '{guess}'?" if guess else f" (clusters: {', '.join(names)})")
    )


def prepare_import(
    options: ImportOptions,
    site: SiteConfig,
    client: HypercoreClient,
    *,
    target: Target | None = None,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Read the matching VMs and build the manifest and imports in memory. Raises ImportFailed or InputError;
    writes nothing. ``client`` must be logged in (used as a context manager)."""
    started = time.perf_counter()
    target = target or resolve_target(site, options.cluster)
    view = target.site
    report = ImportReport(
        application=options.application,
        cluster=target.cluster.name if target.cluster is not None else None,
        host=client.host,
        manifest_path=options.manifest_path,
        imports_path=imports_path(options.manifest_path),
    )
    _check_options(options, report)
    managed = find_managed(
        site,
        target,
        list(options.manifest_paths),
        application=options.application,
        own_manifest=report.manifest_path,
    )
    elsewhere = managed.applications.get(options.application)
    if elsewhere is not None:
        raise ImportFailed(
            f"application '{options.application}' already exists in {elsewhere}; choose another --app, or "
            "--out that file with --force to replace it"
        )
    report.notes += managed.notes

    listed = client.get(f"{API}/VirDomain")
    report.seen = len(listed)
    chosen = [raw for raw in listed if _matches(raw, options)]
    chosen.sort(key=lambda raw: (str(raw.get("name", "")), str(raw.get("uuid", ""))))
    report.matched = len(chosen)
    if not chosen:
        raise ImportFailed(
            f"no VM on {client.host} matches {_selection(options)} ({report.seen} VMs on the cluster); "
            "nothing was written"
        )
    templates = set(view.templates.values())
    wanted: list[dict[str, Any]] = []
    for raw in chosen:
        name, uuid = str(raw.get("name", "")), str(raw.get("uuid", ""))
        owner = managed.owner(uuid, name)
        if name in templates and not options.include_templates:
            report.templates.append(name)
        elif owner is not None:
            report.skipped.append(Skipped(name, uuid, f"it is already managed by {owner}"))
        else:
            wanted.append(raw)

    networks = NetworkMap.from_networks(view.networks)
    addresses: dict[str, str] = {}
    for done, raw in enumerate(wanted, start=1):
        name, uuid = str(raw.get("name", "")), str(raw.get("uuid", ""))
        fresh = _read_vm(client, uuid)
        if fresh is None or fresh.get("name") != name:
            report.skipped.append(
                Skipped(name, uuid, "it disappeared from the cluster (or was renamed) while the import ran")
            )
        else:
            converted = convert_vm(fresh, networks)
            if isinstance(converted, Skipped):
                report.skipped.append(converted)
            elif logical_id(name) in addresses:
                report.skipped.append(
                    Skipped(
                        name,
                        uuid,
                        f"its Terraform address '{logical_id(name)}' is that of VM '{addresses[logical_id(name)]}'"
                        " too; rename one of them on the cluster",
                    )
                )
            else:
                addresses[logical_id(name)] = name
                report.vms.append(converted)
        if on_progress is not None:
            on_progress(done, len(wanted), name)

    _check_site(report, view)
    imported = {vm.uuid for vm in report.vms}
    dropped = sorted(name for uuid, (_, name) in managed.own.items() if uuid not in imported)
    if dropped:
        stacks = sorted({stack for stack, _ in managed.own.values()})
        raise ImportFailed(
            f"stack {', '.join(repr(s) for s in stacks)} manages VM{'s' if len(dropped) > 1 else ''} "
            f"{', '.join(dropped)}, which this import leaves out: the next plan would destroy "
            f"{'them' if len(dropped) > 1 else 'it'}; import {'them' if len(dropped) > 1 else 'it'} too "
            "(--match), or remove them from the stack first; nothing was written"
        )
    if not report.vms:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in report.skipped)
        if report.templates:
            reasons += ("; " if reasons else "") + f"{len(report.templates)} template VMs"
        raise ImportFailed(
            f"none of the {report.matched} matching VMs can be imported ({reasons}); nothing was written"
        )
    labels = list(target.cluster.selector) if target.cluster is not None else []
    others = [
        t.name
        for t in site.targets()
        if t.cluster is not None and t.name != target.name and t.cluster.selects(labels)
    ]
    if others:
        report.notes.append(
            f"application '{options.application}' also runs on cluster{'s' if len(others) > 1 else ''} "
            f"{', '.join(others)} (their selectors match): deploying there creates these VMs there"
        )
    imports: dict[str, str] = {}
    for vm in report.vms:
        imports.update(vm.imports)
    report.record = ImportRecord(application=options.application, cluster=report.cluster, imports=imports)
    source = client.host + (f" (cluster {report.cluster})" if report.cluster else "")
    report.manifest = manifest_text(
        options.application,
        report.vms,
        source=source,
        imports_file=report.imports_path.name,
        labels=labels,
    )
    check_manifest(report.manifest, report.manifest_path, view, report.vms)
    report.seconds = time.perf_counter() - started
    return report


def write_import(report: ImportReport, *, force: bool = False) -> None:
    """Write the imports file, then the manifest (each atomically). Refuses to replace files without ``force``."""
    if not force:
        _refuse_existing(report)
    assert report.record is not None
    write_atomically(report.imports_path, report.record.to_json())
    write_atomically(report.manifest_path, report.manifest)


def _check_options(options: ImportOptions, report: ImportReport) -> None:
    if not APP_NAME.fullmatch(options.application) or len(options.application) > 255:
        raise ImportFailed(
            f"--app '{options.application}' is not a valid application name: letters, digits, '-', '_' and "
            "'.', not ending in '-'"
        )
    if report.manifest_path.suffix not in (".yaml", ".yml"):
        raise ImportFailed(f"--out {report.manifest_path}: a manifest file name ends in .yaml")
    if not options.force:
        _refuse_existing(report)


def _refuse_existing(report: ImportReport) -> None:
    for path in (report.manifest_path, report.imports_path):
        if path.exists():
            raise ImportFailed(
                f"{path} already exists; pass --force to replace it, or --out another file; nothing was written"
            )


def _matches(raw: Mapping[str, Any], options: ImportOptions) -> bool:
    name = raw.get("name")
    if not isinstance(name, str):
        return False
    if options.matches and not any(fnmatch.fnmatchcase(name, glob) for glob in options.matches):
        return False
    text = raw.get("tags")
    tags = set(text.split(",")) if isinstance(text, str) else set()
    return all(tag in tags for tag in options.tags)


def _selection(options: ImportOptions) -> str:
    parts = [f"--match {glob}" for glob in options.matches] + [f"--tag {tag}" for tag in options.tags]
    return " ".join(parts) if parts else "(every VM)"


def _read_vm(client: HypercoreClient, uuid: str) -> dict[str, Any] | None:
    """The VM's record now, or None if it is gone."""
    try:
        found = client.get(f"{API}/VirDomain/{uuid}")
    except ApiNotFound:
        return None
    return found[0] if found else None


def _check_site(report: ImportReport, view: SiteConfig) -> None:
    """Every NIC's VLAN needs a network and every machine type a template in fleetform.yaml; one error each."""
    where = Location(str(view.source or "fleetform.yaml"))
    issues: list[Issue] = []
    vlans: dict[int, list[str]] = {}
    for vm in report.vms:
        for vlan, mac in vm.unmapped_vlans:
            vlans.setdefault(vlan, []).append(f"{vm.name} ({mac})")
    section = "networks:" + (f" of cluster '{report.cluster}'" if report.cluster else "")
    for vlan, nics in sorted(vlans.items()):
        issues.append(
            Issue(
                where,
                f"VLAN {vlan} has no network in fleetform.yaml; NICs on it: {', '.join(nics)}",
                f"add this line under {section} there:  vlan-{vlan}: {vlan}  (any network name you like)",
            )
        )
    types = sorted({vm.machine_type for vm in report.vms} - set(view.templates))
    for machine_type in types:
        users = [vm.name for vm in report.vms if vm.machine_type == machine_type]
        issues.append(
            Issue(
                where,
                f"machine type '{machine_type}' has no template VM in fleetform.yaml; VMs of that type: "
                f"{', '.join(users)}",
                f"add this line under templates: there:  {machine_type}: fleetform-template-{machine_type}  "
                "(the name of a VM with that firmware; imported VMs are not cloned from it, new ones are)",
            )
        )
    if issues:
        raise InputError(issues)
