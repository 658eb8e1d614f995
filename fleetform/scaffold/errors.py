"""Errors of ``fleetform init``."""

from __future__ import annotations

from fleetform.errors import FleetformError


class ScaffoldError(FleetformError):
    """A project cannot be created there, or with those options (the message says which and why)."""
