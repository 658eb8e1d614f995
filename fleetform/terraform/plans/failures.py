"""Terraform and cluster failures in fleetform's words: what went wrong, what it means, what to do.

The provider's errors are Go panics and HTTP dumps ("couldn't authenticate: dial tcp …", "authentication
failed with HTTP status code: 401", "No VM with name … found."); fleetform recognises the *kind* of failure
(by the real provider's wording, the stand-in's, and the HTTP layer's) and says it in terms of what the user
controls: HC_HOST and the credentials, fleetform.yaml's templates, the state lock, running again. Terraform's
own first error line follows, so nothing is hidden. An unknown failure keeps Terraform's error as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fleetform.errors import ApiAuthError, ApiConnectionError, ApiError, ApiTimeout
from fleetform.site.config import SiteConfig
from fleetform.terraform.runner import error_text

_AUTH = re.compile(
    r"authentication failed with HTTP status code: 40[13]|/login\S* on \S+ failed \(HTTP 40[13]\)|"
    r"Invalid username or password|refused the credentials",
    re.I,
)
_UNREACHABLE = re.compile(
    r"couldn't authenticate|error making a request|connection refused|Failed to establish a new connection|"
    r"no such host|Name or service not known|i/o timeout|Connection reset|Connection aborted|"
    r"RemoteDisconnected|Max retries exceeded|Read timed out|connect: network is unreachable",
    re.I,
)
_TEMPLATE = re.compile(r"No VM with name (\S+?)\.? found")
_TEMPLATE_SOURCE = re.compile(r"data\.hypercore_vms\.template-([A-Za-z0-9_-]+)")
_LOCK = re.compile(r"Error acquiring the state lock")
_LOCK_INFO = re.compile(r"^\s*(ID|Path|Operation|Who|Created):\s*(.*)$", re.M)
_SERVER = re.compile(r"unexpected response: (5\d\d)|\(HTTP (5\d\d)\)")
# An answer from the cluster, with its HTTP status: whatever else the message says, the cluster was reached.
_STATUS = re.compile(r"unexpected response: (\d\d\d)|failed \(HTTP (\d\d\d)\)|status code: (\d\d\d)")
_UNCONFIGURED = re.compile(
    r"Missing (Host URI|Username|Password) Configuration|No value for required variable"
)
_BACKEND_CHANGED = re.compile(
    r"Backend configuration changed|migrate-state|Backend configuration block has changed"
)
_INTERRUPTED = re.compile(r"Execution halted|operation canceled|context canceled|Interrupt received", re.I)


@dataclass(frozen=True)
class Context:
    """Who failed where: the stack, its cluster, the command."""

    stack: str
    cluster: str = "default"
    host: str | None = None
    command: str = "plan"
    """``plan`` or ``apply``."""


def failure_context(stack: str, site: SiteConfig, env: Mapping[str, str], command: str) -> Context:
    """The context of a stack's Terraform run on the cluster ``site`` is for."""
    cluster = site.cluster
    host = (cluster.host if cluster is not None else None) or env.get("HC_HOST") or None
    return Context(stack, cluster.name if cluster is not None else "default", host, command)


def explain(output: str, context: Context) -> str | None:
    """fleetform's words for a failed ``terraform plan``/``apply`` (its combined output), or None when the kind
    of failure is not one fleetform knows."""
    said = _first_error(output)
    # Terraform wraps its diagnostics at 80 columns: match on the words, not the lines.
    lines, output = output, " ".join(output.split())
    where = f"cluster '{context.cluster}'" + (f" ({context.host})" if context.host else "")
    after = _after(context)
    found = _STATUS.search(output)
    status = next((group for group in found.groups() if group), None) if found else None
    if _AUTH.search(output):
        text = f"{where} refused the user name and password: check {_credentials(context)}. {after}"
    elif status == "404":
        text = (
            f"an object of stack '{context.stack}' is gone from {where} (HTTP 404): it was deleted outside "
            f"fleetform while this run worked. {after}"
        )
    elif status is None and _UNREACHABLE.search(output):
        text = f"cannot reach {where}: check HC_HOST (or the cluster's host:) and the network. {after}"
    elif (template := _TEMPLATE.search(output)) is not None:
        machine = _TEMPLATE_SOURCE.search(output)
        kind = f" for machine type {machine.group(1)}" if machine else ""
        text = (
            f"the template VM '{template.group(1)}'{kind} is not on {where}: every VM of that machine type is a "
            "clone of it. Create it there (an empty VM with the right firmware), or set templates: in "
            f"fleetform.yaml to a VM that exists. {after}"
        )
    elif _UNCONFIGURED.search(output):
        text = f"no host or credentials for {where}: set {_credentials(context, host=True)}. {after}"
    elif _BACKEND_CHANGED.search(output):
        return (
            f"the state location of stack '{context.stack}' is not the one its working directory was set up for "
            "(the state: section of fleetform.yaml changed, or a working directory was copied from another "
            "project). fleetform never moves state from one location to another: if the state really moved, "
            "move the state file (or pg schema) yourself, then delete the stack's .terraform directory; otherwise "
            "put state: back. Nothing was changed."
        )
    elif _LOCK.search(output):
        info = dict(_LOCK_INFO.findall(lines))
        holder = ", ".join(
            f"{k.lower()} {v.strip()}" for k, v in info.items() if k in ("Who", "Operation", "Created")
        )
        text = (
            f"another Terraform run holds the state lock of stack '{context.stack}'"
            + (f" ({holder})" if holder else "")
            + ": wait for it to finish (--lock-timeout 5m waits that long) and run the same command again. A run "
            "that was killed releases its lock with its process (local and pg backends)."
        )
    elif _INTERRUPTED.search(output):
        text = f"Terraform was interrupted. {after}"
    elif (server := _SERVER.search(output)) is not None:
        status = server.group(1) or server.group(2)
        text = (
            f"{where} failed a request (HTTP {status}; HyperCore answers 500 to a task on a VM that is still busy "
            f"with another). {after}"
        )
    else:
        return None
    return f"{text}\n  terraform said: {said}" if said else text


def explain_api(exc: ApiError, context: Context, doing: str) -> str:
    """fleetform's words for a REST call of fleetform's own that failed while ``doing`` something."""
    where = f"cluster '{context.cluster}' ({exc.host})"
    if isinstance(exc, ApiAuthError):
        return (
            f"{where} refused the user name and password while {doing}: check {_credentials(context)}. Nothing "
            "was changed."
        )
    if isinstance(exc, ApiConnectionError | ApiTimeout):
        return (
            f"cannot reach {where} while {doing}: {exc.reason}. Check HC_HOST (or the cluster's host:) and the "
            "network; nothing was changed."
        )
    return f"{where} failed while {doing}: {exc}. Nothing was changed."


def _credentials(context: Context, *, host: bool = False) -> str:
    if context.cluster == "default":
        return "HC_HOST, HC_USERNAME and HC_PASSWORD" if host else "HC_USERNAME and HC_PASSWORD"
    suffix = re.sub(r"[^a-z0-9]", "_", context.cluster.lower())
    return f"TF_VAR_hc_username_{suffix} and TF_VAR_hc_password_{suffix} (or HC_USERNAME/HC_PASSWORD)"


def _after(context: Context) -> str:
    if context.command == "apply":
        return (
            "What was applied before the failure is recorded in the state; run the same command again once "
            "this is fixed: it plans from where this run stopped."
        )
    return "Nothing was changed."


def _first_error(output: str) -> str:
    """The summary of Terraform's first error and the first paragraph of its detail, on one line."""
    lines = [line.strip() for line in error_text(output, limit=20).splitlines()]
    if not lines or not lines[0]:
        return ""
    summary = lines[0].removeprefix("Error: ")
    detail: list[str] = []
    for line in lines[1:]:
        if not line:
            if detail:
                break
            continue
        if not detail and (line.startswith(("with ", "on ")) or re.match(r"^\d+:", line) or line == "}"):
            continue
        detail.append(line)
    text = " ".join(detail)
    return f"{summary}: {text}" if text and text != summary else summary
