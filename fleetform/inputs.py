"""Reading what a synth needs: the site configuration and every manifest, validated together.

Kept apart from :mod:`fleetform.app` so that validating (``fleetform validate``, ``graph``) never starts cdktf's
jsii kernel or needs Node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fleetform.config import SiteConfig, load_config
from fleetform.errors import InputError, Issue
from fleetform.manifest.loader import LoadedManifest, load_manifests


@dataclass
class Inputs:
    """Everything a synth reads, validated."""

    manifests: list[LoadedManifest]
    site: SiteConfig
    warnings: list[Issue] = field(default_factory=list)


def load_inputs(manifest_paths: Sequence[str | Path], config_path: str | Path | None = None) -> Inputs:
    """Load and validate the site config and every manifest; raise one InputError listing every problem."""
    site = load_config(config_path)
    manifests = load_manifests(manifest_paths)
    issues: list[Issue] = []
    warnings: list[Issue] = []
    for lm in manifests:
        warnings.extend(lm.warnings)
        issues.extend(site.check(lm))
    errors = [i for i in issues if i.is_error]
    if errors:
        raise InputError(errors)
    warnings.extend(i for i in issues if not i.is_error)
    return Inputs(manifests=manifests, site=site, warnings=warnings)
