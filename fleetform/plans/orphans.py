"""Stacks whose manifest was deleted (orphans): finding them, and the tombstone that plans their destruction."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fleetform.config import ClusterConfig, SiteConfig
from fleetform.errors import ToolError
from fleetform.plans.common import STACK_FILE
from fleetform.translate import credential_variables, pg_schema, state_file


def local_orphans(site: SiteConfig, synthesized: set[str]) -> list[str]:
    """Stacks with a local state file that holds resources but no synthesized stack."""
    if site.state.backend != "local" or not site.state_dir.is_dir():
        return []
    found = []
    for path in sorted(site.state_dir.glob("*.tfstate")):
        name = path.name[: -len(".tfstate")]
        if name in synthesized:
            continue
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if any(r.get("mode") == "managed" and r.get("instances") for r in state.get("resources") or []):
            found.append(name)
    return found


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
    (as :class:`fleetform.app.ApplicationStack` writes them) and no resources. ``required_providers``: as the
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
