"""The ``/rest/v1`` routes: parse the request, call one backend verb, serialize its answer.

Every route answers JSON: GETs an array (one element for a GET by UUID), mutations
``{"taskTag", "createdUUID"}``. Routes exist with and without a trailing slash (the Terraform provider posts
to ``VirDomainBlockDevice/`` and uploads to ``ISO/{uuid}/data/``). Authentication is a ``sessionID`` cookie
from ``POST /rest/v1/login`` or HTTP Basic credentials on the request. Sessions are stored with the cluster, so
they survive a restart of the simulator (but never expire by time, unlike HyperCore's).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from fleetform.simulator.backend import Backend
from fleetform.simulator.backends.core import Caller
from fleetform.simulator.errors import BadRequest, NotFound, Unauthorized
from fleetform.simulator.models import TaskRef
from fleetform.simulator.schemas import (
    BlockDeviceClone,
    BlockDeviceCreate,
    BlockDeviceUpdate,
    ClusterUpdate,
    IsoCreate,
    IsoUpdate,
    Login,
    NetDeviceCreate,
    NetDeviceUpdate,
    ReplicationCreate,
    ReplicationUpdate,
    SnapshotCreate,
    SnapshotScheduleCreate,
    SnapshotScheduleUpdate,
    VirDomainClone,
    VirDomainCreate,
    VirDomainUpdate,
    VirtualDiskAttach,
    parse,
    parse_actions,
)

API = "/rest/v1"
SESSION_COOKIE = "sessionID"
UPLOAD_CHUNK = 1024 * 1024

Endpoint = Callable[..., JSONResponse]


def answer(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def task(ref: TaskRef) -> JSONResponse:
    return answer(ref.to_dict())


async def json_body(request: Request) -> Any:
    """The request body as decoded JSON; 400 if it is missing or not JSON."""
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("A JSON request body is required")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("The request body is not valid JSON") from None


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def authenticated(request: Request) -> str:
    """The caller's session ID (``""`` for Basic credentials); 401 without valid credentials."""
    backend = _backend(request)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if backend.session_valid(session_id):
        return session_id
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("Malformed Basic credentials") from None
        if backend.credentials_valid(username, password):
            return ""
        raise Unauthorized("Invalid username or password")
    if session_id:
        raise Unauthorized("The session has expired or does not exist; log in again")
    raise Unauthorized("Authentication required: log in (POST /rest/v1/login) or use HTTP Basic auth")


SessionId = Annotated[str, Depends(authenticated)]


def caller(request: Request, session_id: SessionId) -> Caller:
    return Caller(request.method, request.url.path, session_id)


async def staged_upload(request: Request) -> Path:
    """The raw request body, streamed into a file; ``Content-Length`` is required and must match."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise BadRequest("Content-Length is required (chunked uploads are not accepted)")
    staging: Path = request.app.state.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / f"upload-{secrets.token_hex(8)}"
    received = 0
    try:
        with path.open("wb") as file:
            async for chunk in request.stream():
                received += len(chunk)
                file.write(chunk)
        if received != int(declared):
            raise BadRequest(f"Content-Length is {declared} but {received} bytes arrived")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


Body = Annotated[Any, Depends(json_body)]
"""The decoded JSON body (validated by the route with a schema)."""
Who = Annotated[Caller, Depends(caller)]
"""The authenticated caller."""
Upload = Annotated[Path, Depends(staged_upload)]
"""The raw body, in a staging file the backend takes over."""


def build_router(backend: Backend) -> APIRouter:
    """The HyperCore REST API over ``backend`` (which must also be ``app.state.backend``)."""

    public = APIRouter(prefix=API)
    router = APIRouter(prefix=API, dependencies=[Depends(authenticated)])

    def route(target: APIRouter, method: str, path: str) -> Callable[[Endpoint], Endpoint]:
        def register(endpoint: Endpoint) -> Endpoint:
            target.add_api_route(path, endpoint, methods=[method])
            target.add_api_route(path + "/", endpoint, methods=[method], include_in_schema=False)
            return endpoint

        return register

    def no_filters(request: Request, collection: str) -> None:
        if request.query_params:
            raise BadRequest(f"Query filters are not supported on {collection}; filter the full list instead")

    # --- sessions ---------------------------------------------------------------------------------

    @route(public, "POST", "/login")
    def login(payload: Body) -> JSONResponse:
        body = parse(Login, payload)
        session_id = backend.login(body.username, body.password)
        response = answer({"sessionID": session_id})
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True)
        return response

    @route(router, "POST", "/logout")
    def logout(session_id: SessionId) -> JSONResponse:
        if session_id:
            backend.logout(session_id)
        response = answer({})
        response.delete_cookie(SESSION_COOKIE)
        return response

    # --- VirDomain --------------------------------------------------------------------------------
    # Fixed paths (action, import) are registered before /VirDomain/{uuid}, which would swallow them.

    @route(router, "GET", "/VirDomain")
    def list_vms() -> JSONResponse:
        return answer(backend.list_vms())

    @route(router, "POST", "/VirDomain")
    def create_vm(payload: Body, who: Who) -> JSONResponse:
        return task(backend.create_vm(who, parse(VirDomainCreate, payload)))

    @route(router, "POST", "/VirDomain/action")
    def vm_action(payload: Body, who: Who) -> JSONResponse:
        return task(backend.vm_actions(who, parse_actions(payload)))

    @route(router, "POST", "/VirDomain/import")
    def import_vm() -> JSONResponse:
        raise BadRequest("VM import is not supported by the fleetform simulator")

    @route(router, "GET", "/VirDomain/{uuid}")
    def get_vm(uuid: str) -> JSONResponse:
        return answer([backend.get_vm(uuid)])

    @route(router, "POST", "/VirDomain/{uuid}/clone")
    def clone_vm(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.clone_vm(who, uuid, parse(VirDomainClone, payload)))

    @route(router, "PATCH", "/VirDomain/{uuid}")
    @route(router, "POST", "/VirDomain/{uuid}")  # how the real provider sets the boot order
    def update_vm(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.update_vm(who, uuid, parse(VirDomainUpdate, payload)))

    @route(router, "DELETE", "/VirDomain/{uuid}")
    def delete_vm(uuid: str, who: Who) -> JSONResponse:
        return task(backend.delete_vm(who, uuid))

    # --- VirDomainBlockDevice ---------------------------------------------------------------------

    @route(router, "GET", "/VirDomainBlockDevice")
    def list_block_devices(request: Request) -> JSONResponse:
        no_filters(request, "VirDomainBlockDevice")
        return answer(backend.list_block_devices())

    @route(router, "POST", "/VirDomainBlockDevice")
    def create_block_device(payload: Body, who: Who) -> JSONResponse:
        return task(backend.create_block_device(who, parse(BlockDeviceCreate, payload)))

    @route(router, "GET", "/VirDomainBlockDevice/{uuid}")
    def get_block_device(uuid: str, request: Request) -> JSONResponse:
        no_filters(request, "VirDomainBlockDevice")
        return answer([backend.get_block_device(uuid)])

    @route(router, "POST", "/VirDomainBlockDevice/{uuid}/clone")
    def clone_block_device(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.clone_block_device(who, uuid, parse(BlockDeviceClone, payload)))

    @route(router, "PATCH", "/VirDomainBlockDevice/{uuid}")
    def update_block_device(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.update_block_device(who, uuid, parse(BlockDeviceUpdate, payload)))

    @route(router, "DELETE", "/VirDomainBlockDevice/{uuid}")
    def delete_block_device(uuid: str, who: Who) -> JSONResponse:
        return task(backend.delete_block_device(who, uuid))

    # --- VirDomainNetDevice -----------------------------------------------------------------------

    @route(router, "GET", "/VirDomainNetDevice")
    def list_net_devices(request: Request) -> JSONResponse:
        no_filters(request, "VirDomainNetDevice")
        return answer(backend.list_net_devices())

    @route(router, "POST", "/VirDomainNetDevice")
    def create_net_device(payload: Body, who: Who) -> JSONResponse:
        return task(backend.create_net_device(who, parse(NetDeviceCreate, payload)))

    @route(router, "GET", "/VirDomainNetDevice/{uuid}")
    def get_net_device(uuid: str, request: Request) -> JSONResponse:
        no_filters(request, "VirDomainNetDevice")
        return answer([backend.get_net_device(uuid)])

    @route(router, "PATCH", "/VirDomainNetDevice/{uuid}")
    def update_net_device(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.update_net_device(who, uuid, parse(NetDeviceUpdate, payload)))

    @route(router, "DELETE", "/VirDomainNetDevice/{uuid}")
    def delete_net_device(uuid: str, who: Who) -> JSONResponse:
        return task(backend.delete_net_device(who, uuid))

    # --- VirtualDisk ------------------------------------------------------------------------------

    @route(router, "GET", "/VirtualDisk")
    def list_virtual_disks() -> JSONResponse:
        return answer(backend.list_virtual_disks())

    @route(router, "PUT", "/VirtualDisk/upload")
    def upload_virtual_disk(request: Request, staged: Upload, who: Who) -> JSONResponse:
        query = request.query_params
        return task(
            backend.upload_virtual_disk(who, query.get("filename", ""), query.get("filesize", ""), staged)
        )

    @route(router, "GET", "/VirtualDisk/{uuid}")
    def get_virtual_disk(uuid: str) -> JSONResponse:
        return answer([backend.get_virtual_disk(uuid)])

    @route(router, "POST", "/VirtualDisk/{uuid}/attach")
    def attach_virtual_disk(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.attach_virtual_disk(who, uuid, parse(VirtualDiskAttach, payload)))

    @route(router, "DELETE", "/VirtualDisk/{uuid}")
    def delete_virtual_disk(uuid: str, who: Who) -> JSONResponse:
        return task(backend.delete_virtual_disk(who, uuid))

    # --- ISO --------------------------------------------------------------------------------------

    @route(router, "GET", "/ISO")
    def list_isos() -> JSONResponse:
        return answer(backend.list_isos())

    @route(router, "POST", "/ISO")
    def create_iso(payload: Body, who: Who) -> JSONResponse:
        return task(backend.create_iso(who, parse(IsoCreate, payload)))

    @route(router, "GET", "/ISO/{uuid}")
    def get_iso(uuid: str) -> JSONResponse:
        return answer([backend.get_iso(uuid)])

    @route(router, "PUT", "/ISO/{uuid}/data")
    def upload_iso(uuid: str, staged: Upload, who: Who) -> JSONResponse:
        return task(backend.upload_iso_data(who, uuid, staged))

    @route(router, "PATCH", "/ISO/{uuid}")
    def update_iso(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.update_iso(who, uuid, parse(IsoUpdate, payload)))

    @route(router, "DELETE", "/ISO/{uuid}")
    def delete_iso(uuid: str, who: Who) -> JSONResponse:
        return task(backend.delete_iso(who, uuid))

    # --- snapshots, schedules, replication ----------------------------------------------------------
    # Every cluster has these collections (an empty list, never 404): real clients read the schedule list
    # on every VM read. Query filters are refused on the snapshot collections, as on HyperCore.

    @route(router, "GET", "/VirDomainSnapshotSchedule")
    def list_snapshot_schedules(request: Request) -> JSONResponse:
        no_filters(request, "VirDomainSnapshotSchedule")
        return answer(backend.list_snapshot_schedules())

    @route(router, "POST", "/VirDomainSnapshotSchedule")
    def create_snapshot_schedule(payload: Body) -> JSONResponse:
        return task(backend.create_snapshot_schedule(parse(SnapshotScheduleCreate, payload)))

    @route(router, "GET", "/VirDomainSnapshotSchedule/{uuid}")
    def get_snapshot_schedule(uuid: str) -> JSONResponse:
        return answer([backend.get_snapshot_schedule(uuid)])

    @route(router, "PATCH", "/VirDomainSnapshotSchedule/{uuid}")
    def update_snapshot_schedule(uuid: str, payload: Body) -> JSONResponse:
        return task(backend.update_snapshot_schedule(uuid, parse(SnapshotScheduleUpdate, payload)))

    @route(router, "DELETE", "/VirDomainSnapshotSchedule/{uuid}")
    def delete_snapshot_schedule(uuid: str) -> JSONResponse:
        return task(backend.delete_snapshot_schedule(uuid))

    @route(router, "GET", "/VirDomainSnapshot")
    def list_snapshots(request: Request) -> JSONResponse:
        no_filters(request, "VirDomainSnapshot")
        return answer(backend.list_snapshots())

    @route(router, "POST", "/VirDomainSnapshot")
    def create_snapshot(payload: Body, who: Who) -> JSONResponse:
        return task(backend.create_snapshot(who, parse(SnapshotCreate, payload)))

    @route(router, "GET", "/VirDomainSnapshot/{uuid}")
    def get_snapshot(uuid: str) -> JSONResponse:
        return answer([backend.get_snapshot(uuid)])

    @route(router, "DELETE", "/VirDomainSnapshot/{uuid}")
    def delete_snapshot(uuid: str, who: Who) -> JSONResponse:
        return task(backend.delete_snapshot(who, uuid))

    @route(router, "GET", "/RemoteClusterConnection")
    def list_remote_connections() -> JSONResponse:
        return answer(backend.list_remote_connections())

    @route(router, "GET", "/RemoteClusterConnection/{uuid}")
    def get_remote_connection(uuid: str) -> JSONResponse:
        return answer([backend.get_remote_connection(uuid)])

    @route(router, "DELETE", "/RemoteClusterConnection/{uuid}")
    def delete_remote_connection(uuid: str, who: Who) -> JSONResponse:
        return task(backend.delete_remote_connection(who, uuid))

    @route(router, "GET", "/VirDomainReplication")
    def list_replications() -> JSONResponse:
        return answer(backend.list_replications())

    @route(router, "POST", "/VirDomainReplication")
    def create_replication(payload: Body, who: Who) -> JSONResponse:
        return task(backend.create_replication(who, parse(ReplicationCreate, payload)))

    @route(router, "GET", "/VirDomainReplication/{uuid}")
    def get_replication(uuid: str) -> JSONResponse:
        return answer([backend.get_replication(uuid)])

    @route(router, "PATCH", "/VirDomainReplication/{uuid}")
    def update_replication(uuid: str, payload: Body, who: Who) -> JSONResponse:
        # There is no DELETE: HyperCore has none (the route answers 405), a replication is disabled instead.
        return task(backend.update_replication(who, uuid, parse(ReplicationUpdate, payload)))

    # --- Node, Cluster, TaskTag -------------------------------------------------------------------

    @route(router, "GET", "/Node")
    def list_nodes() -> JSONResponse:
        return answer(backend.list_nodes())

    @route(router, "GET", "/Node/{uuid}")
    def get_node(uuid: str) -> JSONResponse:
        found = [node for node in backend.list_nodes() if node["uuid"] == uuid]
        if not found:
            raise NotFound.of("Node", uuid)
        return answer(found)

    @route(router, "GET", "/Cluster")
    def list_clusters() -> JSONResponse:
        return answer(backend.list_clusters())

    @route(router, "GET", "/Cluster/{uuid}")
    def get_cluster(uuid: str) -> JSONResponse:
        found = [cluster for cluster in backend.list_clusters() if cluster["uuid"] == uuid]
        if not found:
            raise NotFound.of("Cluster", uuid)
        return answer(found)

    @route(router, "PATCH", "/Cluster/{uuid}")
    def update_cluster(uuid: str, payload: Body, who: Who) -> JSONResponse:
        return task(backend.update_cluster(who, uuid, parse(ClusterUpdate, payload)))

    @route(router, "GET", "/TaskTag/{tag}")
    def get_task(tag: str) -> JSONResponse:
        # An unknown tag is an empty list, not 404: clients read "no such task" as "nothing to wait for".
        return answer(backend.get_task(tag))

    combined = APIRouter()
    combined.include_router(public)
    combined.include_router(router)
    return combined
