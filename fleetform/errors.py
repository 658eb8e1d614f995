"""fleetform's error hierarchy: one root, families under it.

Only the CLI turns these into messages and exit codes; everything below raises them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class FleetformError(Exception):
    """Something fleetform cannot do with the input it was given."""


# --- input exceptions ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Location:
    """A place in an input file: 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file, with where it is and how to fix it."""

    location: Location
    message: str
    hint: str = ""
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class InputError(FleetformError):
    """One or more input files are invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues: list[Issue] = sorted(issues, key=lambda i: (i.location, i.message))
        super().__init__("\n".join(str(i) for i in self.issues))


class ManifestError(InputError):
    """An application manifest is invalid."""


class ConfigError(InputError):
    """The site configuration (fleetform.yaml) is invalid."""


# --- runtime exceptions -------------------------------------------------------------------------


class ToolError(FleetformError):
    """An external tool (terraform, the cdktf CLI) failed or is missing."""


class ApiConfigError(FleetformError):
    """The REST client lacks a connection setting it needs, such as an unset ``HC_HOST``."""


class ApiError(FleetformError):
    """A HyperCore REST API call failed.

    Carries the call (``host``, ``method``, ``path``), the ``reason`` in words and the HTTP ``status``
    when the cluster answered at all, so callers can react to the kind of failure without parsing text.
    """

    def __init__(self, host: str, method: str, path: str, reason: str, status: int | None = None):
        self.host = host
        self.method = method
        self.path = path
        self.reason = reason
        self.status = status
        super().__init__(str(self))

    def __str__(self) -> str:
        answered = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.method} {self.path} on {self.host} failed{answered}: {self.reason}"


class ApiConnectionError(ApiError):
    """The cluster could not be reached: bad address, refused or reset connection."""


class ApiTlsError(ApiConnectionError):
    """The cluster's TLS certificate could not be verified (self-signed clusters need verification off)."""


class ApiTimeout(ApiError):
    """The cluster did not answer in time, or a task did not finish in time."""


class ApiProtocolError(ApiError):
    """The cluster answered with something that is not the HyperCore REST API's shape."""


class ApiStatusError(ApiError):
    """The cluster answered with an HTTP error status."""


class ApiAuthError(ApiStatusError):
    """The cluster refused the credentials or the session (HTTP 401 or 403)."""


class ApiNotFound(ApiStatusError):
    """The object or endpoint does not exist on the cluster (HTTP 404)."""


class ApiBadRequest(ApiStatusError):
    """The cluster rejected the request (HTTP 400); ``reason`` is the cluster's own ``error`` text."""


class ApiServerError(ApiStatusError):
    """The cluster failed while handling the request (HTTP 5xx)."""


class ApiTaskFailed(ApiError):
    """An asynchronous HyperCore task ended in ERROR or UNINITIALIZED; ``reason`` is its message."""

    def __init__(self, host: str, method: str, path: str, reason: str, *, task_tag: str, state: str):
        self.task_tag = task_tag
        self.state = state
        super().__init__(host, method, path, reason)
