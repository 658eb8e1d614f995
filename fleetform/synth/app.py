"""Manifests + site configuration -> a cdktf App with one TerraformStack per application.

``main.py`` (run by ``cdktf synth``) and ``fleetform synth`` both prepare stacks with
:func:`fleetform.synth.prepare.prepare_stack` and build them with :func:`build_stacks`: an
:class:`ApplicationStack` holding the provider, the backend and the ``Application`` construct, the same
construct a library user builds. Every construct error of every manifest, and every address two resources of a
stack would share, is collected before anything is synthesized.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from constructs import Construct

from fleetform._cdktf import App, LocalBackend, PgBackend, TerraformOutput, TerraformStack, TerraformVariable
from fleetform.constructs import Application, ApplicationProps
from fleetform.constructs._stack import shared
from fleetform.errors import InputError, Issue
from fleetform.providers.hypercore.provider import HypercoreProvider
from fleetform.synth.inputs import Inputs, StackInput, load_inputs
from fleetform.synth.origins import ORIGIN_OUTPUT, find_orphans, origin_of, whole_set
from fleetform.synth.prepare import APPLICATION_ID, StackBuild, prepare_stack
from fleetform.synth.translate import credential_variables

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
        self,
        scope: Construct,
        id: str,
        *,
        stack: StackInput,
        props: ApplicationProps,
        state: str,
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
        self.application = Application(self, APPLICATION_ID, props=props)
        if stack.imports:
            self._add_import_blocks(stack.imports)
        # Recorded in the state by every apply (fleetform or cdktf deploy): which manifest this stack came from,
        # so that a stack is taken for an orphan only when that manifest is gone (fleetform.synth.origins).
        TerraformOutput(
            self,
            ORIGIN_OUTPUT,
            value=origin_of(stack.manifest.path),
            description="The manifest this stack was deployed from (fleetform records it to find orphans).",
        )

    def _add_import_blocks(self, imports: Mapping[str, str]) -> None:
        """Terraform ``import`` blocks for the recorded addresses this stack has (``fleetform import``).

        One stack-level override, not ``import_from`` per resource (which runs ``terraform version`` each time).
        Kept after the apply: Terraform then finds the objects in state and plans nothing for them.
        """
        present = set(self.application.addresses())
        blocks = [
            {"to": address, "id": imports[address]} for address in sorted(imports) if address in present
        ]
        if blocks:
            self.add_override("import", blocks)


def build_stacks(app: App, builds: Sequence[StackBuild]) -> list[list[Issue]]:
    """An :class:`ApplicationStack` in ``app`` for each prepared stack; the construct warnings of each (disk
    sizes that had to be rounded). Raises InputError listing every construct error of every stack, and every
    address that two resources of a stack would share, before anything is synthesized."""
    warnings: list[list[Issue]] = []
    issues: list[Issue] = []
    for build in builds:
        try:
            built = ApplicationStack(app, build.name, stack=build.stack, props=build.props, state=build.state)
        except InputError as exc:
            issues.extend(exc.issues)
            continue
        warnings.append(built.application.warnings)
        where = build.stack.manifest.locate("metadata", "name")
        # The stack holds nothing but fleetform's constructs (and, synthesizing, cdktf checks again with all).
        issues += [Issue(where, duplicate.message) for duplicate in shared(built).duplicates(others=False)]
    if issues:
        raise InputError(issues)
    return warnings


def build_app(
    inputs: Inputs,
    *,
    outdir: str | Path,
    final_outdir: str | Path | None = None,
    allow_data_loss: bool = False,
) -> tuple[App, list[Issue]]:
    """The cdktf App for validated inputs, and the warnings raised while building it.

    ``final_outdir`` is where the stacks will finally live; it defaults to ``outdir``. Every construct error of
    every manifest is collected before any stack is synthesized, so invalid input writes nothing.
    """
    final = Path(final_outdir or outdir).resolve()
    builds: list[StackBuild] = []
    issues: list[Issue] = []
    for stack in inputs.stacks:
        try:
            builds.append(prepare_stack(stack, final_outdir=final, allow_data_loss=allow_data_loss))
        except InputError as exc:
            issues.extend(exc.issues)
    if issues:
        raise InputError(issues)
    app = App(outdir=str(outdir))
    warnings = list(inputs.warnings)
    for build, construct_warnings in zip(builds, build_stacks(app, builds), strict=True):
        warnings += [*build.notes, *construct_warnings]
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
    for line in orphan_warnings(inputs, manifest_paths_from_env()):
        print(line)
    app.synth()


def orphan_warnings(inputs: Inputs, manifest_paths: list[str]) -> list[str]:
    """What ``cdktf synth``/``cdktf deploy`` should say about stacks of deleted manifests: cdktf drops their
    directory and leaves their VMs running, so name each and how to remove it (rule: :mod:`fleetform.synth.origins`)."""
    site = inputs.site
    if site.state.backend != "local" or not whole_set(manifest_paths):
        return []
    found = find_orphans(site.state_dir, [s.name for s in inputs.stacks], manifest_paths)
    simulator = site.source is not None and ".fleetform" in site.source.parts
    flag = " --simulator" if simulator else ""
    return [
        f"warning: stack '{name}' still has resources (state {site.state_dir / (name + '.tfstate')}) but its manifest "
        f"{origin} is gone: cdktf deploy leaves them running. To destroy them: fleetform destroy{flag} --stacks "
        f"{name} (or fleetform deploy{flag}, which lists them and asks)"
        for name, origin in found.orphans.items()
    ]
