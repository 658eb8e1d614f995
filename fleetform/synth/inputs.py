"""Reading what a synth needs: the site configuration and every manifest, rendered for every target cluster.

Each (application, cluster) pair the site's selectors allow is one stack. Kept apart from :mod:`fleetform.synth.app`
so that validating (``fleetform validate``, ``graph``, ``targets``) never starts cdktf's jsii kernel or needs
Node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fleetform.errors import InputError, Issue, Location
from fleetform.importer.record import ImportRecord, imports_path, read_record
from fleetform.manifest.loader import LoadedManifest, ManifestSource, load_sources, render_manifest
from fleetform.site.config import SiteConfig, Target, load_config


@dataclass(frozen=True)
class StackInput:
    """One stack: an application rendered for one target cluster."""

    name: str
    manifest: LoadedManifest
    target: Target
    imports: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Terraform address -> import ID of existing objects this stack takes over (``fleetform import``'s
    imports file next to the manifest, for this stack's cluster). Default: none."""

    @property
    def site(self) -> SiteConfig:
        """The site as this stack's cluster sees it."""
        return self.target.site


@dataclass
class Inputs:
    """Everything a synth reads, validated."""

    stacks: list[StackInput]
    site: SiteConfig
    sources: list[ManifestSource] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def manifests(self) -> list[LoadedManifest]:
        """The rendered manifest of every stack."""
        return [stack.manifest for stack in self.stacks]


def load_inputs(manifest_paths: Sequence[str | Path], config_path: str | Path | None = None) -> Inputs:
    """Load the site config and every manifest, render each for every cluster that selects it, and check it
    against that cluster; raise one InputError listing every problem (each once, even if several clusters
    see it)."""
    site = load_config(config_path)
    sources = load_sources(manifest_paths)
    issues: list[Issue] = []
    warnings: list[Issue] = []
    stacks: list[StackInput] = []
    by_stack: dict[str, StackInput] = {}
    targets = site.targets()
    for source in sources:
        record = _imports(source, targets, issues, warnings)
        chosen = [t for t in targets if t.selects(source.labels)]
        if not chosen:
            warnings.append(
                Issue(
                    Location(source.path, 1, 1),
                    f"application '{source.raw_name}' runs on no cluster: no selector in "
                    f"{site.source or 'fleetform.yaml'} matches its labels {source.labels}",
                    "add one of the selector labels to metadata.labels, or a cluster that selects it",
                    severity="warning",
                )
            )
        for target in chosen:
            try:
                lm = render_manifest(source, target.variables(source.raw_name))
            except InputError as exc:
                issues.extend(exc.issues)
                continue
            warnings.extend(lm.warnings)
            found = target.site.check(lm)
            issues.extend(i for i in found if i.is_error)
            warnings.extend(i for i in found if not i.is_error)
            own = record is not None and record.cluster == (target.cluster.name if target.cluster else None)
            stack = StackInput(
                target.stack_name(lm.name), lm, target, record.imports if record and own else {}
            )
            other = by_stack.get(stack.name)
            if other is not None:
                issues.append(
                    Issue(
                        lm.locate("metadata", "name"),
                        f"application name '{lm.name}' is also used by "
                        f"{other.manifest.locate('metadata', 'name')}",
                        "application names must be unique: each becomes its own Terraform stack and state",
                    )
                )
                continue
            by_stack[stack.name] = stack
            stacks.append(stack)
    issues.extend(vm_name_collisions(stacks))
    errors = _unique([i for i in issues if i.is_error])
    if errors:
        raise InputError(errors)
    return Inputs(stacks=stacks, site=site, sources=sources, warnings=_unique(warnings))


def vm_name_collisions(stacks: Sequence[StackInput]) -> list[Issue]:
    """VM names that two stacks on one cluster would both use, or that are a template VM's name there.

    HyperCore finds VMs by name, and the provider *adopts* an existing VM of the same name when it clones: a
    second application with a VM called like another's (or like a template) would silently take it over. The
    error names both places. (Names within one manifest, replicas included, are checked by the model.)"""
    issues: list[Issue] = []
    by_cluster: dict[str, dict[str, tuple[str, Location]]] = {}
    for stack in stacks:
        seen = by_cluster.setdefault(stack.target.name, {})
        if not seen:
            for machine_type, template in sorted(stack.site.templates.items()):
                where = stack.site.locate_template(str(machine_type))
                seen.setdefault(
                    template, (f"the template VM of machine type {machine_type} ({where})", where)
                )
        on = f" on cluster '{stack.target.name}'" if stack.target.cluster is not None else ""
        for vm in stack.manifest.application.spec.resources:
            here = stack.manifest.locate_vm(vm.name)
            first = seen.setdefault(vm.name, (f"a VM of application '{stack.manifest.name}' ({here})", here))
            if first[1] == here:
                continue
            issues.append(
                Issue(
                    here,
                    f"VM name '{vm.name}' is also {first[0]}{on}: VM names must be unique on a cluster, and the "
                    "provider would take over the existing VM of that name instead of creating its own",
                    "rename one of them",
                )
            )
    return issues


def _imports(
    source: ManifestSource, targets: Sequence[Target], issues: list[Issue], warnings: list[Issue]
) -> ImportRecord | None:
    """The imports file next to a manifest, if any; a cluster no target has is a warning."""
    path = imports_path(source.path)
    try:
        record = read_record(path)
    except InputError as exc:
        issues.extend(exc.issues)
        return None
    if record is None:
        return None
    clusters = {t.cluster.name if t.cluster else None for t in targets}
    if record.cluster not in clusters:
        recorded = (
            f"cluster '{record.cluster}'" if record.cluster else "the cluster of HC_HOST (no clusters:)"
        )
        warnings.append(
            Issue(
                Location(str(path)),
                f"these imports are for {recorded}, which is not a target of the site; no stack imports them",
                "run fleetform import again with --cluster NAME (and --force)",
                severity="warning",
            )
        )
    return record


def _unique(issues: list[Issue]) -> list[Issue]:
    return list(dict.fromkeys(issues))
