"""The ``fleetform`` Typer app, its consoles and the helpers every command shares.

Commands live in one module each under ``fleetform/cli/`` and register on :data:`app`. The CLI is the only
layer that prints or sets exit codes.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from fleetform import __version__
from fleetform.errors import FleetformError, InputError, Issue


def _metavar(param: Any, ctx: Any) -> str | None:
    """A plain word for what an option takes (PATH, TEXT, INTEGER, [a|b]); nothing for a flag; None when this
    Typer cannot tell (then its own display stays)."""
    if getattr(param, "is_flag", False):
        return ""
    display = getattr(param, "display_type", None)
    if display is None:
        return None
    label = str(display(ctx)).strip("<>")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    if "|" in label:
        return f"[{label}]"
    words = {"bool": "", "path": "PATH", "str": "TEXT", "int": "INTEGER", "float": "NUMBER"}
    return words.get(label.split(" ")[0].lower(), label.upper())


def _plain_metavars(command: Any, ctx: Any) -> None:
    # get_params: the parameters plus the (cached) help option.
    for param in command.get_params(ctx):
        kind = getattr(param, "param_type_name", "")
        if kind == "option" and param.metavar is None:
            param.metavar = _metavar(param, ctx)
        elif kind == "argument" and hasattr(param, "display_type_rich"):
            # An argument's type column ignores metavar; its name column stays as Typer writes it.
            word = _metavar(param, ctx)
            if word is not None:
                param.display_type_rich = lambda ctx=None, word=word: word
    for sub in (getattr(command, "commands", None) or {}).values():
        _plain_metavars(sub, ctx)


class _Group(TyperGroup):
    """The root command group: every command's help without raw type names (``<list[Path]>``, ``<bool>``)."""

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)
        for param in params:
            if param.metavar is None and getattr(param, "param_type_name", "") == "option":
                param.metavar = _metavar(param, ctx)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _plain_metavars(command, ctx)
        return command


app = typer.Typer(
    cls=_Group,
    help="Fleet Manager application manifests -> Terraform for Scale Computing HyperCore (via cdktf).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Inherited by every command's context: -h works everywhere, like --help.
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Piped output (CI logs, `| less`) would otherwise be cut to 80 columns, truncating tables.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(width=_WIDTH, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Site configuration file. \\[default: ./fleetform.yaml]"),
]
ManifestsOption = Annotated[
    list[Path] | None,
    typer.Option("--manifests", "-m", help="Manifest files or directories. \\[default: manifests/]"),
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Synth output directory.")]
AllowDataLossOption = Annotated[
    bool,
    typer.Option(
        "--allow-data-loss",
        help="Let this run destroy or replace data disks (disks without a boot index); refused otherwise.",
    ),
]


def print_issues(issues: list[Issue]) -> None:
    """Print located issues to stderr: errors in red, each one; warnings in yellow, and a warning repeated for
    several places (the same words but for names and numbers) once, with how many more and where."""
    for issue, more in group_warnings(issues):
        style = "red" if issue.is_error else "yellow"
        err.print(str(issue), style=style, markup=False)
        if more:
            places = ", ".join(str(other.location) for other in more[:6])
            rest = f", and {len(more) - 6} more" if len(more) > 6 else ""
            count = f"{len(more)} more warning{'s' if len(more) != 1 else ''}"
            err.print(f"  ... and {count} like this one: {places}{rest}", style=style, markup=False)


_NAMES = re.compile(r"'[^']*'")
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")


def _shape(text: str) -> str:
    return _NUMBERS.sub("#", _NAMES.sub("'…'", text))


def group_warnings(issues: list[Issue]) -> list[tuple[Issue, list[Issue]]]:
    """Issues in order, each with the later warnings that say the same but for quoted names and numbers."""
    groups: dict[tuple[str, str], tuple[Issue, list[Issue]]] = {}
    result: list[tuple[Issue, list[Issue]]] = []
    for issue in issues:
        if issue.is_error:
            result.append((issue, []))
            continue
        key = (_shape(issue.message), _shape(issue.hint))
        found = groups.get(key)
        if found is not None:
            found[1].append(issue)
            continue
        entry: tuple[Issue, list[Issue]] = (issue, [])
        groups[key] = entry
        result.append(entry)
    return result


def fail(exc: FleetformError) -> typer.Exit:
    """Report ``exc`` on stderr; the Exit (code 1) for the caller to raise."""
    if isinstance(exc, InputError):
        print_issues(exc.issues)
        count = sum(1 for i in exc.issues if i.is_error)
        err.print(f"{count} error{'s' if count != 1 else ''}; nothing was written.", style="red")
    else:
        err.print(f"error: {exc}", style="red", markup=False)
    return typer.Exit(1)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"fleetform {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit(2)
