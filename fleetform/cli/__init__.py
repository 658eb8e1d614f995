"""The ``fleetform`` command line (Typer + Rich): one module per command, registered on one app."""

from __future__ import annotations

import importlib
import signal
import sys
from types import FrameType

from fleetform.cli._app import app, err
from fleetform.terraform.runner import interrupt_running

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


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM: tell every running Terraform to stop gracefully (it saves its state and releases its
    lock), then unwind; a second one is forwarded too, and Terraform then stops at once."""
    if interrupt_running():
        err.print(
            "interrupted: waiting for Terraform to stop and save its state (interrupt again to stop it at once); "
            "run the same command again to continue from there",
            style="red",
        )
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        app()
    except KeyboardInterrupt:
        err.print(
            "interrupted: what Terraform applied is in the state; run the same command again to continue",
            style="red",
        )
        sys.exit(130)
