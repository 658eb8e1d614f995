"""Manifests + site configuration -> a cdktf App with one TerraformStack per application.

``main.py`` (run by ``cdktf synth``) and ``fleetform synth`` both go through :func:`build_app`, so they write
the same JSON.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from constructs import Construct

from fleetform._cdktf import App, LocalBackend, TerraformStack
from fleetform.constructs import Application, ApplicationProps
from fleetform.errors import InputError, Issue
from fleetform.inputs import Inputs, load_inputs
from fleetform.translate import application_props, state_file
from providers.hypercore.provider import HypercoreProvider

DEFAULT_MANIFESTS = "manifests"
DEFAULT_OUTDIR = "cdktf.out"


class ApplicationStack(TerraformStack):
    """One application in its own stack: the provider, an explicit backend, and the Application construct.

    The provider block is empty on purpose: host and credentials come from ``HC_HOST``, ``HC_USERNAME`` and
    ``HC_PASSWORD`` at plan time and never appear in the synthesized JSON.
    """

    def __init__(self, scope: Construct, id: str, *, props: ApplicationProps, state_path: str) -> None:
        super().__init__(scope, id)
        HypercoreProvider(self, "hypercore")
        LocalBackend(self, path=state_path)
        self.application = Application(self, "app", props=props)


def build_app(
    inputs: Inputs, *, outdir: str | Path, final_outdir: str | Path | None = None
) -> tuple[App, list[Issue]]:
    """The cdktf App for validated inputs, and the warnings raised while building it.

    ``final_outdir`` is where the stacks will finally live (state paths are relative to each stack's working
    directory); it defaults to ``outdir``. Every construct error of every manifest is collected before any
    stack is synthesized, so invalid input writes nothing.
    """
    final = Path(final_outdir or outdir).resolve()
    app = App(outdir=str(outdir))
    issues: list[Issue] = []
    warnings = list(inputs.warnings)
    for lm in inputs.manifests:
        name = lm.application.metadata.name
        try:
            props, notes = application_props(lm, inputs.site)
            warnings.extend(notes)
            state_path = os.path.relpath(state_file(inputs.site, name).resolve(), final / "stacks" / name)
            stack = ApplicationStack(app, name, props=props, state_path=state_path)
            warnings.extend(stack.application.warnings)
        except InputError as exc:
            issues.extend(exc.issues)
    if issues:
        raise InputError(issues)
    return app, warnings


def manifest_paths_from_env() -> list[str]:
    """``FLEETFORM_MANIFESTS`` (files or directories, separated by ``os.pathsep``), else ``manifests/``."""
    value = os.environ.get("FLEETFORM_MANIFESTS", "").strip()
    return [p for p in value.split(os.pathsep) if p] if value else [DEFAULT_MANIFESTS]


def main() -> None:
    """The cdktf app entry point (``main.py``): synthesize into ``CDKTF_OUTDIR`` as ``cdktf synth`` expects."""
    outdir = os.environ.get("CDKTF_OUTDIR", DEFAULT_OUTDIR)
    try:
        inputs = load_inputs(manifest_paths_from_env(), os.environ.get("FLEETFORM_CONFIG"))
        app, warnings = build_app(inputs, outdir=outdir)
    except InputError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise SystemExit(1) from None
    for warning in warnings:
        print(warning, file=sys.stderr)
    app.synth()
