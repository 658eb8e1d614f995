"""``fleetform import``: adopt VMs that already run on a HyperCore cluster (manifest + Terraform import IDs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fleetform.cli._app import ConfigOption, ManifestsOption, app, err, fail, out
from fleetform.errors import FleetformError

PROGRESS_FROM = 10
"""Show a progress bar when at least this many VMs are read."""


@app.command("import")
def import_(
    application: Annotated[
        str, typer.Option("--app", "-a", help="Application name (metadata.name) of the manifest to write.")
    ],
    match: Annotated[
        list[str] | None,
        typer.Option(
            "--match", help="Import VMs whose name matches this glob (repeatable). \\[default: all]"
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", help="Import only VMs that carry this HyperCore tag (repeatable: all of them)."
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Manifest to write. \\[default: <manifests dir>/<app>.yaml]"),
    ] = None,
    manifests: ManifestsOption = None,
    config: ConfigOption = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster", help="Cluster of fleetform.yaml clusters: to import from. \\[default: the only one]"
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify the cluster's TLS certificate (self-signed).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing manifest and imports file.")
    ] = False,
    include_templates: Annotated[
        bool, typer.Option("--include-templates", help="Also import the template VMs of fleetform.yaml.")
    ] = False,
) -> None:
    """Write a manifest for VMs already on the cluster, and their import IDs, so that the next plan adopts them.

    Reads HC_HOST, HC_USERNAME and HC_PASSWORD. Writes <app>.yaml and <app>.imports.json next to it; the next
    `fleetform synth` emits Terraform import blocks, and `terraform plan` shows only imports.
    """
    from fleetform.importer.run import ImportOptions, prepare_import, resolve_target, write_import
    from fleetform.site.config import load_config
    from fleetform.terraform.connect import client_for

    options = ImportOptions(
        application=application,
        matches=tuple(match or ()),
        tags=tuple(tag or ()),
        out=out_file,
        manifest_paths=tuple(manifests or [Path("manifests")]),
        cluster=cluster,
        force=force,
        include_templates=include_templates,
    )
    bar = _ProgressBar()
    try:
        site = load_config(config)
        target = resolve_target(site, cluster)
        with client_for(target, insecure=insecure) as client:
            try:
                report = prepare_import(options, site, client, target=target, on_progress=bar.update)
            finally:
                bar.stop()
        write_import(report, force=force)
    except FleetformError as exc:
        raise fail(exc) from None
    _print_report(report)


class _ProgressBar:
    """A Rich progress bar on stderr, shown only for many VMs."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.task: Any = None

    def update(self, done: int, total: int, name: str) -> None:
        if total < PROGRESS_FROM:
            return
        if self.progress is None:
            self.progress = Progress(
                TextColumn("reading VMs"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=err,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=total)
        self.progress.update(self.task, completed=done, description=name)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _print_report(report: Any) -> None:
    table = Table(title=f"{len(report.vms)} VMs imported into '{report.application}'", box=None)
    for column in ("VM", "vCPU", "memory", "machine", "state", "disks", "NICs", "boot order"):
        table.add_column(column)
    for vm in report.vms:
        boot = "managed" if any(d.boot is not None for d in vm.disks) else "left as is"
        table.add_row(
            vm.name,
            str(vm.cpu),
            f"{vm.memory // 1024**2} MiB",
            vm.machine_type,
            vm.state,
            str(len(vm.disks)),
            str(len(vm.nics)),
            boot,
        )
    out.print(table)
    if report.templates:
        err.print(
            f"left out {len(report.templates)} template VM{'s' if len(report.templates) != 1 else ''} "
            "(fleetform.yaml templates:; --include-templates imports them)",
            markup=False,
        )
    if report.skipped:
        err.print(
            f"skipped {len(report.skipped)} VM{'s' if len(report.skipped) != 1 else ''}:", style="yellow"
        )
        for skipped in report.skipped:
            err.print(f"  {skipped.name}: {skipped.reason}", style="yellow", markup=False, highlight=False)
    err.print("left out, because it cannot be known from the cluster:", style="yellow")
    for what in report.left_out:
        err.print(f"  {what}", style="yellow", markup=False)
    if report.cloud_init_vms:
        err.print(
            f"  (cloud-init data found on {', '.join(report.cloud_init_vms)}: not carried over)",
            style="yellow",
            markup=False,
        )
    noted = [(vm.name, note) for vm in report.vms for note in vm.notes]
    if noted:
        err.print("per VM:", style="yellow")
        for name, note in noted:
            err.print(f"  {name}: {note}", style="yellow", markup=False, highlight=False)
    for note in report.notes:
        err.print(f"note: {note}", style="yellow", markup=False, highlight=False)
    err.print(
        f"wrote {report.manifest_path} and {report.imports_path} ({report.import_count} import IDs) in "
        f"{report.seconds:.2f} s; next: fleetform synth, then terraform plan shows {report.import_count} to "
        "import and nothing to add, change or destroy",
        style="green",
        markup=False,
        highlight=False,
    )
