"""``fleetform graph``: draw applications as Mermaid (GitHub renders it inline), Graphviz DOT or SVG."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import ConfigOption, app, err, fail, print_issues
from fleetform.errors import FleetformError

_SAFE_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class GraphFormat(StrEnum):
    """What ``fleetform graph`` writes."""

    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"


_SUFFIXES = {GraphFormat.mermaid: ".mmd", GraphFormat.dot: ".dot", GraphFormat.svg: ".svg"}


@app.command()
def graph(
    stacks: Annotated[
        list[str] | None,
        typer.Argument(help="Applications to draw, by metadata.name (the stack name). \\[default: all]"),
    ] = None,
    manifests: Annotated[
        list[Path] | None,
        typer.Option("--manifests", "-m", help="Manifest files or directories. \\[default: manifests/]"),
    ] = None,
    config: ConfigOption = None,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="mermaid, dot, or svg (needs Graphviz's `dot`).")
    ] = GraphFormat.mermaid,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="A file, or a directory for one file per application (<name>.mmd/.md/.dot/.svg). "
            "\\[default: standard output]",
        ),
    ] = None,
    markdown: Annotated[
        bool | None,
        typer.Option(
            "--markdown/--no-markdown",
            help="Wrap Mermaid in a ```mermaid block. \\[default: when --out is a .md file]",
        ),
    ] = None,
) -> None:
    """Draw each application: VMs, their disks and images, and their networks (VLANs)."""
    from fleetform.graph import dot_to_svg, fenced, render_dot, render_mermaid
    from fleetform.synth.inputs import load_inputs
    from fleetform.yamlsrc import did_you_mean

    to_dir = out_path is not None and (out_path.is_dir() or not out_path.suffix)
    if markdown is None:
        markdown = out_path is not None and not to_dir and out_path.suffix == ".md"
    if markdown and fmt is not GraphFormat.mermaid:
        err.print("--markdown wraps Mermaid only; use it with --format mermaid", style="red")
        raise typer.Exit(2)

    try:
        inputs = load_inputs(manifests or [Path("manifests")], config)
    except FleetformError as exc:
        raise fail(exc) from None
    print_issues(inputs.warnings)
    by_name = {lm.name: lm for lm in inputs.manifests}
    selected = list(dict.fromkeys(stacks or by_name))
    for name in selected:
        if name not in by_name:
            guess = did_you_mean(name, by_name)
            hint = f"did you mean '{guess}'? " if guess else ""
            raise fail(
                FleetformError(f"no application named '{name}'; {hint}applications: {', '.join(by_name)}")
            )
    several = len(selected) > 1
    if several and out_path is not None and not to_dir and not markdown:
        raise fail(
            FleetformError(
                f"{len(selected)} applications do not fit in one {fmt.value} file: pass --out DIRECTORY "
                "(one file each), a .md file, or one application"
            )
        )
    if several and out_path is None and fmt is GraphFormat.svg:
        raise fail(FleetformError("one SVG per application: pass --out DIRECTORY, or one application"))

    texts: dict[str, str] = {}
    try:
        for name in selected:
            lm = by_name[name]
            if fmt is GraphFormat.mermaid:
                text = render_mermaid(lm, inputs.site)
                texts[name] = fenced(text) if markdown else text
            else:
                dot = render_dot(lm, inputs.site)
                texts[name] = dot_to_svg(dot) if fmt is GraphFormat.svg else dot
    except FleetformError as exc:
        raise fail(exc) from None

    if to_dir and out_path is not None:
        suffix = ".md" if markdown else _SUFFIXES[fmt]
        for name, text in texts.items():
            _write(out_path / f"{_SAFE_FILE_NAME.sub('_', name)}{suffix}", text)
        return
    if markdown and several:
        combined = "\n".join(f"## {name}\n\n{text}" for name, text in texts.items())
    else:
        combined = "\n".join(texts.values())
    if out_path is None:
        typer.echo(combined, nl=False)
    else:
        _write(out_path, combined)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(FleetformError(f"cannot write {path}: {exc.strerror or exc}")) from None
    err.print(f"wrote {path}", style="green", markup=False)
