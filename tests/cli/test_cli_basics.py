"""The fleetform command line itself: version, help, and that every command is registered."""

from __future__ import annotations

from typer.testing import CliRunner

from fleetform import __version__
from fleetform.cli import COMMANDS, app


def test_version_prints_the_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"fleetform {__version__}"


def test_no_command_prints_help_and_exits_2() -> None:
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 2
    assert "Commands" in result.output and "validate" in result.output


def test_every_command_module_registers_a_command() -> None:
    registered = {c.name or c.callback.__name__ for c in app.registered_commands if c.callback}
    registered |= {g.name for g in app.registered_groups if g.name}
    groups = {g.name for g in app.registered_groups if g.name}
    for module in COMMANDS:
        name = module.rstrip("_").replace("_", "-")
        # A module of subcommands (simulator_fleet) adds to its group (simulator fleet).
        assert name in registered or name.split("-")[0] in groups, module
    assert {"destroy", "import", "simulator"} <= registered
