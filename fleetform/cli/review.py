"""``fleetform review``: render a review of the plans that ``fleetform plan`` saved.

Exit codes (also in the JSON as ``exit_code``):

- 0: nothing dangerous, and every stack has a plan;
- 2: something dangerous: a VM or disk destroyed or replaced (data disks marked loudly), a VM powered off, a
  stack whose manifest was deleted, or a plan the data-loss guard refused;
- 1: an error: the plan directory cannot be read, or a stack's plan failed (the review is incomplete; it
  is still printed, and says which).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import app, err, fail
from fleetform.errors import FleetformError


class ReviewFormat(StrEnum):
    """What ``fleetform review`` writes."""

    markdown = "markdown"
    json = "json"


@app.command()
def review(
    plan_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Plan directories (fleetform plan --out), or directories holding several (CI artifacts).",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        ReviewFormat, typer.Option("--format", "-f", help="markdown (one PR comment) or json (for bots).")
    ] = ReviewFormat.markdown,
    max_chars: Annotated[
        int,
        typer.Option(
            "--max-chars",
            help="Markdown: stay under this many characters (GitHub's comment limit is 65,536), folding "
            "details and saying what was cut.",
            min=2000,
        ),
    ] = 60000,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of standard output.")
    ] = None,
) -> None:
    """Review saved plans: summary per stack, dangerous changes first, what each change does on HyperCore.

    Exit code 0: nothing dangerous; 2: dangerous changes; 1: error (or a stack whose plan failed)."""
    from fleetform.review import build_review, exit_code, load_bundle, render_json, render_markdown

    try:
        result = build_review(load_bundle(plan_dirs))
    except FleetformError as exc:
        raise fail(exc) from None
    text = render_json(result) if fmt is ReviewFormat.json else render_markdown(result, max_chars=max_chars)
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)
    code = exit_code(result)
    if code == 2:
        err.print(f"dangerous changes: {len(result.dangers)} (exit 2)", style="red")
    elif code == 1:
        err.print("a stack's plan failed: the review is incomplete (exit 1)", style="red")
    raise typer.Exit(code)
