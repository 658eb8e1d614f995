"""The importer's own error."""

from __future__ import annotations

from fleetform.errors import FleetformError


class ImportFailed(FleetformError):
    """``fleetform import`` cannot go on (nothing matched, a file exists, a bad option); nothing was written."""
