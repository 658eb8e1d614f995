"""Stacks whose manifest was deleted (orphans): finding them, and the tombstone that plans their destruction."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fleetform.errors import ToolError
from fleetform.site.config import ClusterConfig, SiteConfig
from fleetform.synth.origins import (
    find_orphans,
    has_resources,
    in_scope,
    read_state_file,
    recorded_origin,
    whole_set,
)
from fleetform.synth.translate import credential_variables, pg_schema, state_file
from fleetform.terraform.plans.common import STACK_FILE


def orphans_in_run(
    site: SiteConfig,
    synthesized: Sequence[str],
    manifest_paths: Sequence[Path],
    *,
    selection: bool,
    project: Path,
) -> tuple[dict[str, str], list[str]]:
    """The stacks of deleted manifests this run plans to destroy (stack -> the manifest its state records), and
    notes about stacks with state that it leaves alone (rule: :mod:`fleetform.synth.origins`). A run with a
    selection (``--stacks``, or manifest files rather than directories) finds none."""
    if site.state.backend != "local" or selection or not whole_set(manifest_paths):
        return {}, []
    found = find_orphans(site.state_dir, synthesized, manifest_paths, project)
    return found.orphans, found.notes()


def named_orphan(
    site: SiteConfig, name: str, loaded: Sequence[str], manifest_paths: Sequence[Path], project: Path
) -> str | None:
    """For a stack named with ``--stacks`` that this run does not synthesize: the manifest its state records
    (``""`` when it records none); raises ToolError when the stack has no state to destroy, or when its
    manifest still exists but is not part of this run (destroying it would be a surprise)."""
    if site.state.backend != "local":
        return ""
    state = read_state_file(state_file(site, name))
    if state is None or not has_resources(state):
        raise ToolError(
            f"no stack named '{name}': this run does not synthesize it and it has no state "
            f"({state_file(site, name)})"
        )
    origin = recorded_origin(state)
    if origin is None:
        return ""
    path = Path(origin) if Path(origin).is_absolute() else project / origin
    in_run = {str(Path(p).resolve()) for p in loaded}
    if path.is_file() and str(path.resolve()) not in in_run and not in_scope(origin, manifest_paths, project):
        raise ToolError(
            f"stack '{name}' comes from {origin}, which is not among this run's manifests: add it "
            f"(-m {origin}) to deploy it; to destroy the stack, delete that manifest or run "
            f"fleetform destroy -m {origin}"
        )
    return origin


def orphan_site(site: SiteConfig, stack: str) -> tuple[SiteConfig, ClusterConfig | None]:
    """The cluster a stack of a deleted manifest ran on: the ``--<cluster>`` suffix of its name."""
    if not site.clusters:
        return site, None
    for cluster in site.clusters:
        if stack.endswith(f"--{cluster.name}"):
            return site.for_cluster(cluster), cluster
    raise ToolError(
        f"stack '{stack}' has state but no manifest, and its cluster is not in the site configuration (stacks "
        "are <application>--<cluster>); add the cluster back to plan its destruction"
    )


DEFAULT_REQUIRED_PROVIDERS = {"hypercore": {"source": "scalecomputing/hypercore", "version": "~> 1.4"}}


def tombstone(
    name: str,
    site: SiteConfig,
    cluster: ClusterConfig | None,
    workdir: Path,
    required_providers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Terraform JSON of a stack whose manifest is gone: the provider configuration and backend it had
    (as :class:`fleetform.synth.app.ApplicationStack` writes them) and no resources. ``required_providers``: as the
    other stacks have it (default: ``scalecomputing/hypercore ~> 1.4``)."""
    data: dict[str, Any] = {
        "//": {"metadata": {"stackName": name, "fleetform": "tombstone: the manifest was deleted"}},
        "terraform": {"required_providers": dict(required_providers or DEFAULT_REQUIRED_PROVIDERS)},
    }
    if site.state.backend == "pg":
        data["terraform"]["backend"] = {"pg": {"schema_name": pg_schema(site, name)}}
    else:
        path = os.path.relpath(state_file(site, name).resolve(), workdir.resolve())
        data["terraform"]["backend"] = {"local": {"path": path}}
    if cluster is None:
        data["provider"] = {"hypercore": [{}]}
    else:
        username, password = credential_variables(cluster.name)
        provider: dict[str, Any] = {"username": f"${{var.{username}}}", "password": f"${{var.{password}}}"}
        if cluster.host:
            provider["host"] = cluster.host
        data["provider"] = {"hypercore": [dict(sorted(provider.items()))]}
        data["variable"] = {
            var: {
                "description": f"{what} for HyperCore cluster '{cluster.name}' (set TF_VAR_{var})",
                "sensitive": True,
                "type": "string",
            }
            for var, what in ((password, "Password"), (username, "Username"))
        }
    return data


def write_tombstone(workdir: Path, name: str, site: SiteConfig, cluster: ClusterConfig | None) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    data = tombstone(name, site, cluster, workdir, _required_providers(workdir.parent.parent / "stacks"))
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    target = workdir / STACK_FILE
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def _required_providers(stacks_dir: Path) -> dict[str, Any] | None:
    """``terraform.required_providers`` as synth writes it, read from any synthesized stack."""
    for path in sorted(stacks_dir.glob(f"*/{STACK_FILE}")) if stacks_dir.is_dir() else []:
        try:
            found = json.loads(path.read_text(encoding="utf-8"))["terraform"]["required_providers"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError):
            continue
        if isinstance(found, dict):
            return found
    return None
