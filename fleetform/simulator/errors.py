"""Every error the simulator raises, each with the HTTP status and message HyperCore would answer.

The backend raises these; one exception handler in :mod:`fleetform.simulator.app` turns them into
``{"error": "<message>"}`` with the status. :class:`TaskRefused` is different: it never reaches HTTP but makes
the task of the current request end in ERROR (the request itself is accepted, as on HyperCore).
"""

from __future__ import annotations


class SimulatorError(Exception):
    """A request the simulated cluster answers with an HTTP error status."""

    status = 500
    default_message = "An internal error occurred"

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


# --- client errors --------------------------------------------------------------------------------


class BadRequest(SimulatorError):
    """The request body, query or path is invalid (HyperCore's 400 with a message)."""

    status = 400
    default_message = "Bad request"


class Unauthorized(SimulatorError):
    """Wrong credentials, or no valid session or Basic credentials on the request."""

    status = 401
    default_message = "Unauthorized"


class NotFound(SimulatorError):
    """The path names an object (VM, device, task, image) the cluster does not have."""

    status = 404
    default_message = "Not found"

    @classmethod
    def of(cls, kind: str, uuid: str) -> NotFound:
        """The error for a missing ``kind`` object with this UUID."""
        return cls(f"{kind} '{uuid}' does not exist")


# --- server errors --------------------------------------------------------------------------------


class InternalError(SimulatorError):
    """HyperCore's generic 500 (e.g. RESET on a VM that is not running)."""

    status = 500


class Unavailable(SimulatorError):
    """HTTP 503 (only ever injected as a fault)."""

    status = 503
    default_message = "Service unavailable"


# --- task outcomes --------------------------------------------------------------------------------


class TaskRefused(Exception):
    """The cluster accepted the request but its task fails; the cluster is left as it was.

    ``message`` is HyperCore's ``formattedMessage`` (``%@`` placeholders), ``parameters`` fill it.
    """

    def __init__(self, message: str, *parameters: str):
        self.message = message
        self.parameters = list(parameters)
        super().__init__(message)


# --- configuration --------------------------------------------------------------------------------


class ConfigError(Exception):
    """The simulator's own options are unusable (bad --template, unreadable --site file, busy port)."""
