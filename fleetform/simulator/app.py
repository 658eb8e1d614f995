"""The ASGI application: backend, routes, fault and request-log middleware, and the one error mapping.

:func:`create_app` builds a complete simulator from :class:`~fleetform.simulator.settings.Settings`; every
:class:`~fleetform.simulator.errors.SimulatorError` becomes its status with ``{"error": "<message>"}``, and so
do FastAPI's own errors (bad path parameters are 400, unknown routes 404), so a client never sees another
error shape.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fleetform.simulator.admin import RequestLog, add_fault, build_admin_router, recorded_body
from fleetform.simulator.api import API, build_router
from fleetform.simulator.backend import Backend
from fleetform.simulator.backends.core import Seed, Timing
from fleetform.simulator.errors import ConfigError, InternalError, SimulatorError
from fleetform.simulator.faults import FaultBook
from fleetform.simulator.models import ICOS_VERSION
from fleetform.simulator.settings import Settings

log = logging.getLogger("fleetform.simulator")


def create_app(settings: Settings) -> FastAPI:
    """A simulator serving ``settings``; without a data directory it uses a temporary one, deleted at shutdown."""
    temporary = settings.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="fleetform-simulator-")) if temporary else settings.data_dir
    assert data_dir is not None
    faults = FaultBook()
    for spec in settings.faults:
        try:
            add_fault(faults, spec)
        except SimulatorError as exc:
            raise ConfigError(f"invalid fault {spec}: {exc.message}") from None
    try:
        backend = Backend(
            data_dir,
            username=settings.username,
            password=settings.password,
            nodes=settings.nodes,
            timing=Timing(
                task_seconds=settings.task_seconds,
                shutdown_seconds=settings.shutdown_seconds,
                guest_agent=settings.guest_agent,
                busy_vms=settings.busy_vms,
            ),
            faults=faults,
            seed=Seed(dict(settings.templates), dict(settings.vlans)),
        )
    except OSError as exc:
        raise ConfigError(f"cannot use the data directory {data_dir}: {exc}") from None
    requests = RequestLog()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        backend.close()
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)

    app = FastAPI(
        title="fleetform HyperCore REST API simulator",
        version=ICOS_VERSION,
        docs_url=f"{API}/docs",
        openapi_url=f"{API}/openapi.json",
        redoc_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.state.data_dir = data_dir
    app.state.temporary_data_dir = temporary
    info = {
        "api": API,
        "username": settings.username,
        "dataDir": str(data_dir),
        "temporaryDataDir": temporary,
        "nodes": settings.nodes,
        "icosVersion": ICOS_VERSION,
    }
    app.include_router(build_router(backend))
    app.include_router(build_admin_router(backend, requests, info))
    _install_error_handlers(app)

    @app.middleware("http")
    async def faults_and_request_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if not path.startswith(API):
            return await call_next(request)
        sent_path = _sent_path(request)
        body: object = None
        if request.headers.get("content-type", "").startswith("application/octet-stream"):
            # An upload is streamed to the backend untouched; the recorder notes only its declared size.
            declared = request.headers.get("content-length", "")
            body_size = int(declared) if declared.isdigit() else 0
        else:
            raw = await request.body()  # Starlette hands the read body on to the route
            body, body_size = recorded_body(raw), len(raw)
        delay = faults.latency(request.method, path)
        if delay:
            await asyncio.sleep(delay)
        fault = faults.take_http_error(request.method, path)
        if fault is not None:
            response: Response = JSONResponse({"error": fault.message}, status_code=fault.status)
        else:
            response = await call_next(request)
        requests.add(request.method, sent_path, request.url.query, body, body_size, response.status_code)
        return response

    return app


def _sent_path(request: Request) -> str:
    """The request path exactly as the client sent it (percent-encoding and trailing slash kept)."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path


def _install_error_handlers(app: FastAPI) -> None:
    def simulator_error(_: Request, exc: Exception) -> Response:
        error = exc if isinstance(exc, SimulatorError) else InternalError()
        return JSONResponse({"error": error.message}, status_code=error.status)

    def validation_error(_: Request, exc: Exception) -> Response:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors]
        return JSONResponse({"error": "Invalid request: " + "; ".join(parts)}, status_code=400)

    def http_error(_: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            return simulator_error(_, exc)
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    def unexpected(_: Request, exc: Exception) -> Response:
        log.error("unexpected error", exc_info=exc)
        return JSONResponse({"error": InternalError.default_message}, status_code=500)

    app.add_exception_handler(SimulatorError, simulator_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
