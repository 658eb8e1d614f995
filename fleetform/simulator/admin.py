"""The simulator's own API under ``/admin`` (not part of HyperCore): logs, faults, settings, reset.

Every route needs the same login as ``/rest/v1`` (the ``sessionID`` cookie or HTTP Basic credentials), and
no answer ever holds the password.

- ``GET /admin/info``: URL paths, user name, data directory, timing.
- ``GET /admin/actions``: every power action, oldest first: ``{seq, time, virDomainUUID, name, actionType,
  state, desiredDisposition, taskTag, error}`` (``state`` is the VM's state right after the request).
- ``GET /admin/requests[?all=true]``: the request recorder: every ``/rest/v1`` request served, oldest first,
  ``{seq, time, method, path, query, body, bodySize, status}``; mutating ones only unless ``all=true``.
  ``path`` is exactly as sent (percent-encoding and a trailing slash kept, query left out), ``query`` the raw
  query string (``""`` if none), ``body`` the decoded JSON body (``null`` without one; a body that is not JSON
  as its text). A binary upload (``application/octet-stream``) is not kept: ``body`` is ``null`` and
  ``bodySize`` its ``Content-Length`` (else ``bodySize`` is the body's length in bytes). The login password
  is recorded as ``"<redacted>"``. ``DELETE /admin/requests`` empties the log (in memory, the last 10000).
- ``GET /admin/faults``, ``POST /admin/faults`` (body: a :class:`FaultSpec`; answers the fault with its
  ``id``), ``DELETE /admin/faults`` (all), ``DELETE /admin/faults/{id}``.
- ``GET /admin/vlans``: the seeded VLANs ``[{vlan, name}]``.
- ``POST /admin/remote-clusters`` ``{clusterName, nodes?}``: connect the cluster to a made-up remote cluster
  (HyperCore makes a ``RemoteClusterConnection`` through a key exchange with a real peer); answers the
  connection record, so replication can be tested.
- ``GET /admin/settings``, ``PATCH /admin/settings`` ``{taskSeconds?, shutdownSeconds?, guestAgent?, busyVms?}``.
- ``POST /admin/reset``: wipe the cluster, faults and logs, then seed again (sessions survive).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from fleetform.simulator.api import Body, authenticated
from fleetform.simulator.backend import Backend
from fleetform.simulator.errors import BadRequest, NotFound
from fleetform.simulator.faults import FaultBook
from fleetform.simulator.models import now
from fleetform.simulator.schemas import parse

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUEST_LOG_SIZE = 10000
REDACTED = "<redacted>"


class FaultSpec(BaseModel):
    """A fault to inject (``POST /admin/faults``); see :class:`fleetform.simulator.faults.Fault`.

    ``method`` and ``path`` (a regular expression searched in the URL path) narrow which requests it hits;
    ``times`` is how often it fires (default 1 for ``task_error``/``http_error``, else until cleared).
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["task_error", "http_error", "latency", "ignore_shutdown"]
    method: str | None = None
    path: str | None = None
    times: int | None = Field(None, ge=1)
    status: Literal[500, 502, 503, 504] = 500
    message: str = ""
    seconds: float = Field(0.0, ge=0)
    vm: str | None = None
    """``ignore_shutdown`` only: a regular expression the VM's name must match (default: every VM)."""


class RemoteClusterSpec(BaseModel):
    """A remote cluster to connect to (``POST /admin/remote-clusters``)."""

    model_config = ConfigDict(extra="forbid")

    clusterName: str = Field(min_length=1)
    nodes: int = Field(1, ge=1, le=8)


class SettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    taskSeconds: float | None = Field(None, ge=0)
    shutdownSeconds: float | None = Field(None, ge=0)
    guestAgent: bool | None = None
    busyVms: bool | None = None


class RequestLog:
    """The request recorder: the last ``REQUEST_LOG_SIZE`` REST requests, in memory; thread-safe."""

    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, method: str, path: str, query: str, body: Any, body_size: int, status: int) -> None:
        with self._lock:
            self._entries.append(
                {
                    "seq": next(self._seq),
                    "time": now(),
                    "method": method,
                    "path": path,
                    "query": query,
                    "body": body,
                    "bodySize": body_size,
                    "status": status,
                }
            )

    def entries(self, *, include_reads: bool) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries if include_reads or e["method"] in MUTATING]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def recorded_body(raw: bytes) -> Any:
    """What the recorder keeps of a (non-upload) request body: its JSON, its text, or ``None`` if empty.

    A ``password`` at the top level (the login body) is replaced, so the log never holds a credential.
    """
    if not raw.strip():
        return None
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", errors="replace")
    if isinstance(body, dict) and "password" in body:
        body = {**body, "password": REDACTED}
    return body


def add_fault(faults: FaultBook, spec: dict[str, Any]) -> dict[str, Any]:
    """Validate a fault body and activate it; the fault as stored."""
    fault = parse(FaultSpec, spec)
    try:
        added = faults.add(
            fault.kind,
            method=fault.method,
            path=fault.path,
            times=fault.times,
            status=fault.status,
            message=fault.message,
            seconds=fault.seconds,
            vm=fault.vm,
        )
    except re.error as exc:
        raise BadRequest(f"Invalid regular expression: {exc}") from None
    return added.to_dict()


def build_admin_router(backend: Backend, requests: RequestLog, info: dict[str, Any]) -> APIRouter:
    """The ``/admin`` routes over ``backend``, its faults and the request log."""
    router = APIRouter(prefix="/admin", dependencies=[Depends(authenticated)])
    faults = backend.faults

    def timing() -> dict[str, Any]:
        return {
            "taskSeconds": backend.timing.task_seconds,
            "shutdownSeconds": backend.timing.shutdown_seconds,
            "guestAgent": backend.timing.guest_agent,
            "busyVms": backend.timing.busy_vms,
        }

    @router.get("/info")
    def get_info() -> JSONResponse:
        return JSONResponse({**info, **timing()})

    @router.get("/actions")
    def get_actions() -> JSONResponse:
        return JSONResponse(backend.actions_log())

    @router.get("/requests")
    def get_requests(all: bool = False) -> JSONResponse:
        return JSONResponse(requests.entries(include_reads=all))

    @router.delete("/requests")
    def clear_requests() -> JSONResponse:
        requests.clear()
        return JSONResponse({})

    @router.get("/faults")
    def list_faults() -> JSONResponse:
        return JSONResponse([fault.to_dict() for fault in faults.list()])

    @router.post("/faults")
    def post_fault(payload: Body) -> JSONResponse:
        return JSONResponse(add_fault(faults, payload))

    @router.delete("/faults")
    def clear_faults() -> JSONResponse:
        faults.clear()
        return JSONResponse({})

    @router.delete("/faults/{fault_id}")
    def delete_fault(fault_id: int) -> JSONResponse:
        if not faults.remove(fault_id):
            raise NotFound(f"Fault {fault_id} does not exist")
        return JSONResponse({})

    @router.get("/vlans")
    def list_vlans() -> JSONResponse:
        return JSONResponse(backend.vlans())

    @router.post("/remote-clusters")
    def post_remote_cluster(payload: Body) -> JSONResponse:
        spec = parse(RemoteClusterSpec, payload)
        return JSONResponse(backend.add_remote_connection(spec.clusterName, spec.nodes))

    @router.get("/settings")
    def get_settings() -> JSONResponse:
        return JSONResponse(timing())

    @router.patch("/settings")
    def patch_settings(payload: Body) -> JSONResponse:
        patch = parse(SettingsPatch, payload)
        if patch.taskSeconds is not None:
            backend.timing.task_seconds = patch.taskSeconds
        if patch.shutdownSeconds is not None:
            backend.timing.shutdown_seconds = patch.shutdownSeconds
        if patch.guestAgent is not None:
            backend.timing.guest_agent = patch.guestAgent
        if patch.busyVms is not None:
            backend.timing.busy_vms = patch.busyVms
        return JSONResponse(timing())

    @router.post("/reset")
    def reset() -> JSONResponse:
        backend.reset()
        requests.clear()
        return JSONResponse({})

    return router
