"""Manifests + site configuration -> a cdktf App with one TerraformStack per application.

``main.py`` (run by ``cdktf synth``) and ``fleetform synth`` both go through :func:`build_app`, so they write
the same JSON.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from constructs import Construct

from fleetform._cdktf import (
    App,
    LocalBackend,
    PgBackend,
    TerraformResource,
    TerraformStack,
    TerraformVariable,
)
from fleetform.constructs import Application, ApplicationProps
from fleetform.errors import InputError, Issue
from fleetform.inputs import Inputs, StackInput, load_inputs
from fleetform.translate import application_props, credential_variables, pg_schema, state_file
from providers.hypercore.provider import HypercoreProvider

DEFAULT_MANIFESTS = "manifests"
DEFAULT_OUTDIR = "cdktf.out"


class ApplicationStack(TerraformStack):
    """One application on one cluster: the provider, an explicit backend, and the Application construct.

    Without a cluster the provider block is empty: host and credentials come from ``HC_HOST``,
    ``HC_USERNAME`` and ``HC_PASSWORD``. A cluster sets ``host`` and takes username and password from two
    sensitive variables (``TF_VAR_hc_username_<cluster>``, ``TF_VAR_hc_password_<cluster>``). Credentials
    never appear in the synthesized JSON.
    """

    def __init__(
        self, scope: Construct, id: str, *, stack: StackInput, props: ApplicationProps, state: str
    ) -> None:
        super().__init__(scope, id)
        cluster = stack.target.cluster
        if cluster is None:
            HypercoreProvider(self, "hypercore")
        else:
            username, password = (
                TerraformVariable(
                    self,
                    name,
                    type="string",
                    sensitive=True,
                    description=f"{what} for HyperCore cluster '{cluster.name}' (set TF_VAR_{name})",
                )
                for name, what in zip(
                    credential_variables(cluster.name), ("Username", "Password"), strict=True
                )
            )
            HypercoreProvider(
                self,
                "hypercore",
                host=cluster.host,
                username=username.string_value,
                password=password.string_value,
            )
        if stack.site.state.backend == "pg":
            # The connection string comes from PG_CONN_STR at init time; it never enters the JSON.
            PgBackend(self, conn_str="", schema_name=state).add_override("conn_str", None)
        else:
            LocalBackend(self, path=state)
        self.application = Application(self, "app", props=props)
        if stack.imports:
            self._add_import_blocks(stack.imports)

    def _add_import_blocks(self, imports: Mapping[str, str]) -> None:
        """Terraform ``import`` blocks for the recorded addresses this stack has (``fleetform import``).

        One stack-level override, not ``import_from`` per resource (which runs ``terraform version`` each time).
        Kept after the apply: Terraform then finds the objects in state and plans nothing for them.
        """
        present = {
            f"{node.terraform_resource_type}.{node.friendly_unique_id}"
            for node in self.node.find_all()
            if isinstance(node, TerraformResource)
        }
        blocks = [
            {"to": address, "id": imports[address]} for address in sorted(imports) if address in present
        ]
        if blocks:
            self.add_override("import", blocks)


def build_app(
    inputs: Inputs,
    *,
    outdir: str | Path,
    final_outdir: str | Path | None = None,
    allow_data_loss: bool = False,
) -> tuple[App, list[Issue]]:
    """The cdktf App for validated inputs, and the warnings raised while building it.

    ``final_outdir`` is where the stacks will finally live (local state paths are relative to each stack's
    working directory); it defaults to ``outdir``. Every construct error of every manifest is collected
    before any stack is synthesized, so invalid input writes nothing.
    """
    final = Path(final_outdir or outdir).resolve()
    app = App(outdir=str(outdir))
    issues: list[Issue] = []
    warnings = list(inputs.warnings)
    for stack in inputs.stacks:
        try:
            props, notes = application_props(
                stack.manifest, stack.site, allow_data_loss=allow_data_loss, imports=stack.imports
            )
            warnings.extend(notes)
            if stack.site.state.backend == "pg":
                state = pg_schema(stack.site, stack.name)
            else:
                state = os.path.relpath(
                    state_file(stack.site, stack.name).resolve(), final / "stacks" / stack.name
                )
            built = ApplicationStack(app, stack.name, stack=stack, props=props, state=state)
            warnings.extend(built.application.warnings)
        except InputError as exc:
            issues.extend(exc.issues)
    if issues:
        raise InputError(issues)
    return app, list(dict.fromkeys(warnings))


def manifest_paths_from_env() -> list[str]:
    """``FLEETFORM_MANIFESTS`` (files or directories, separated by ``os.pathsep``), else ``manifests/``."""
    value = os.environ.get("FLEETFORM_MANIFESTS", "").strip()
    return [p for p in value.split(os.pathsep) if p] if value else [DEFAULT_MANIFESTS]


def main() -> None:
    """The cdktf app entry point (``main.py``): synthesize into ``CDKTF_OUTDIR`` as ``cdktf synth`` expects."""
    outdir = os.environ.get("CDKTF_OUTDIR", DEFAULT_OUTDIR)
    try:
        inputs = load_inputs(manifest_paths_from_env(), os.environ.get("FLEETFORM_CONFIG"))
        allow = os.environ.get("FLEETFORM_ALLOW_DATA_LOSS", "") not in ("", "0", "false")
        app, warnings = build_app(inputs, outdir=outdir, allow_data_loss=allow)
    except InputError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise SystemExit(1) from None
    # Warnings go to stdout: the cdktf CLI shows the app's stdout as is, but labels every stderr line [ERROR].
    for warning in warnings:
        print(warning)
    app.synth()
