"""The ``fleetform`` command line (Typer + Rich): one module per command, registered on one app."""

from __future__ import annotations

import importlib
import sys

from fleetform.cli._app import app, err

COMMANDS = (
    "validate",
    "synth",
    "targets",
    "deploy",
    "plan",
    "review",
    "apply",
    "rollout",
    "status",
    "drift",
    "schema",
    "demo",
    "demo_fleet",
    "graph",
    "simulator",
    "simulator_fleet",
    "import_",
    "init",
)
for _command in COMMANDS:
    importlib.import_module(f"fleetform.cli.{_command}")

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted", style="red")
        sys.exit(130)
