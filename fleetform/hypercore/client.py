"""A session with one HyperCore cluster's REST API (``/rest/v1``): login, retries, task waiting, uploads.

Every failure leaves this module as an :class:`~fleetform.errors.ApiError` naming the host, the call and the
reason; ``requests`` exceptions never escape.

Retries are urllib3's :class:`~urllib3.util.Retry`, and only where a repeat cannot do a thing twice: a call
that never reached the cluster (connection refused) is always retried; a GET, HEAD or DELETE also after a read
error or an HTTP 429/500/502/503/504 (a DELETE of what is gone is a 404, not a second deletion), and so is the
PUT of an ISO's bytes (``/ISO/{uuid}/data`` replaces them). A POST or PATCH starts a task and is sent once;
so is ``PUT /VirtualDisk/upload``, which makes a new virtual disk each time. ``Retry-After`` is honoured.
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any, TypeVar

import requests
import urllib3
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util import Retry

from fleetform.errors import (
    ApiAuthError,
    ApiBadRequest,
    ApiConfigError,
    ApiConnectionError,
    ApiError,
    ApiNotFound,
    ApiProtocolError,
    ApiServerError,
    ApiStatusError,
    ApiTaskFailed,
    ApiTimeout,
    ApiTlsError,
)
from fleetform.hypercore.models import (
    Iso,
    Node,
    SnapshotSchedule,
    TaskResponse,
    TaskTag,
    VirDomain,
    VirtualDisk,
)

API = "/rest/v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE"})
IDEMPOTENT_PUT = re.compile(r"^/rest/v1/ISO/[^/]+/data/?$")
"""The one PUT HyperCore makes idempotent: replacing an ISO's bytes."""
CA_BUNDLE_VARIABLE = "HC_CA_BUNDLE"
PENDING_TASK_STATES = frozenset({"QUEUED", "RUNNING"})
FAILED_TASK_STATES = frozenset({"ERROR", "UNINITIALIZED"})

_Record = TypeVar("_Record", bound=BaseModel)


class HypercoreClient:
    """A session with one HyperCore cluster.

    ``host`` is the cluster's base URL (``https://10.0.0.5``; ``https://`` is assumed without a scheme).
    ``timeout`` is seconds per HTTP request (``None``: wait forever). Calls are retried up to ``retries`` times
    where that is safe (see the module docstring), with urllib3's exponential ``backoff`` factor or the
    cluster's ``Retry-After`` (``retries=0`` disables this). With ``session_login`` the context manager logs in
    (``POST /rest/v1/login``, ``sessionID`` cookie) on enter and out on exit; without it every request carries
    HTTP Basic credentials. TLS certificates are verified against ``ca_bundle`` (a PEM file), else the
    ``REQUESTS_CA_BUNDLE`` convention, else the system's CAs; ``verify_tls=False`` accepts any certificate
    (the self-signed ones HyperCore clusters ship with).
    """

    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        *,
        verify_tls: bool = True,
        ca_bundle: str | None = None,
        timeout: float | None = 60,
        retries: int = 3,
        backoff: float = 0.5,
        session_login: bool = True,
        auth_method: str = "local",
    ):
        self.host = _base_url(host)
        self.username = username
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.session_login = session_login
        self.auth_method = auth_method
        self._password = password
        self._logged_in = False
        self.verify_tls = verify_tls
        self.ca_bundle = ca_bundle or None
        # Two sessions sharing cookies, headers and credentials: one retries idempotent calls, the other only
        # calls that never reached the cluster.
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        self._once = requests.Session()
        self._once.headers = self._session.headers
        self._once.cookies = self._session.cookies
        self._mount(self._session, _retry(self.retries, backoff, idempotent=True))
        self._mount(self._once, _retry(self.retries, backoff, idempotent=False))
        if not session_login:
            self._session.auth = self._once.auth = (username, password)
        if not verify_tls:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> HypercoreClient:
        """A client for the cluster named by ``HC_HOST``, ``HC_USERNAME`` and ``HC_PASSWORD``.

        ``HC_AUTH_METHOD=oidc`` selects OIDC login; ``HC_CA_BUNDLE`` names a PEM file of CA certificates to
        verify the cluster with (e.g. the simulator's, or a cluster's self-signed certificate). ``options`` are
        passed on to the constructor.
        """
        env = os.environ if environ is None else environ
        values = {}
        for name in ("HC_HOST", "HC_USERNAME", "HC_PASSWORD"):
            value = env.get(name, "")
            if not value:
                raise ApiConfigError(
                    f"{name} is not set; export {name} (HC_HOST=https://<cluster address>, HC_USERNAME, "
                    "HC_PASSWORD) to reach the HyperCore cluster"
                )
            values[name] = value
        options.setdefault("auth_method", env.get("HC_AUTH_METHOD") or "local")
        options.setdefault("ca_bundle", env.get(CA_BUNDLE_VARIABLE) or None)
        return cls(values["HC_HOST"], values["HC_USERNAME"], values["HC_PASSWORD"], **options)

    def __repr__(self) -> str:
        return f"HypercoreClient({self.host!r}, username={self.username!r})"

    # --- session ----------------------------------------------------------------------------------

    def __enter__(self) -> HypercoreClient:
        if self.session_login:
            self.login()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.logout()
        except ApiError:
            if exc is None:
                raise
        finally:
            self._session.close()
            self._once.close()

    def login(self) -> None:
        """Start a session: ``POST /rest/v1/login``; later requests send the ``sessionID`` cookie."""
        body = {"username": self.username, "password": self._password, "useOIDC": self.auth_method == "oidc"}
        response = self.request("POST", f"{API}/login", json=body)
        session_id = _json(response, self.host, "POST", f"{API}/login")
        if not isinstance(session_id, dict) or not isinstance(session_id.get("sessionID"), str):
            raise ApiProtocolError(self.host, "POST", f"{API}/login", "the answer has no sessionID")
        # One sessionID cookie only: a cluster may also Set-Cookie it (for its host), and two copies make
        # requests' cookie jar refuse to say which one it holds.
        self._session.cookies.clear()
        self._session.cookies.set("sessionID", session_id["sessionID"])
        self._logged_in = True

    def logout(self) -> None:
        """End the session started by :meth:`login` (``POST /rest/v1/logout``); a no-op without one."""
        if not self._logged_in:
            return
        self._logged_in = False
        try:
            self.request("POST", f"{API}/logout")
        finally:
            self._session.cookies.clear()

    # --- raw calls --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | IO[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one call (retried where safe, see the module docstring); HTTP errors become ``ApiError``s."""
        idempotent = method in IDEMPOTENT_METHODS or (
            method == "PUT" and IDEMPOTENT_PUT.match(path) is not None
        )
        session = self._session if idempotent else self._once
        try:
            response = session.request(
                method,
                self.host + path,
                json=json,
                data=data,
                headers=dict(headers or {}),
                timeout=self.timeout,
                # Per request: a session-wide verify=False loses to REQUESTS_CA_BUNDLE in requests.
                verify=self.ca_bundle if self.verify_tls and self.ca_bundle else self.verify_tls,
            )
        except requests.exceptions.SSLError as exc:
            raise ApiTlsError(self.host, method, path, self._tls_advice(exc)) from None
        except requests.exceptions.ConnectionError as exc:
            kind = ApiTimeout if _timed_out(exc) else ApiConnectionError
            raise kind(self.host, method, path, describe_error(exc)) from None
        except requests.exceptions.Timeout:
            raise ApiTimeout(self.host, method, path, f"no answer within {self.timeout:g} s") from None
        except requests.exceptions.RequestException as exc:
            raise ApiConnectionError(self.host, method, path, describe_error(exc)) from None
        _raise_for_status(response, self.host, method, path)
        return response

    def _tls_advice(self, exc: BaseException) -> str:
        where = f"the CA file {self.ca_bundle}" if self.ca_bundle else "the trusted CAs"
        return (
            f"TLS certificate verification failed against {where} ({describe_error(exc)}). If the cluster has a "
            f"self-signed certificate, set {CA_BUNDLE_VARIABLE} (or REQUESTS_CA_BUNDLE) to a PEM file with it or "
            "its CA, or pass --insecure to turn verification off"
        )

    @staticmethod
    def _mount(session: requests.Session, retry: Retry) -> None:
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    def get(self, path: str) -> list[dict[str, Any]]:
        """``GET`` a collection or one object; HyperCore answers both with a JSON array (``[]``: none)."""
        response = self.request("GET", path)
        if response.status_code == 204 or not response.content:
            return []
        body = _json(response, self.host, "GET", path)
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise ApiProtocolError(self.host, "GET", path, "expected a JSON array of objects")
        return body

    def post(self, path: str, json: Any = None, *, data: bytes | IO[bytes] | None = None) -> TaskResponse:
        """``POST``; returns the task it started."""
        return self._mutate("POST", path, json, data)

    def patch(self, path: str, json: Any = None, *, data: bytes | IO[bytes] | None = None) -> TaskResponse:
        """``PATCH``; returns the task it started."""
        return self._mutate("PATCH", path, json, data)

    def put(self, path: str, json: Any = None, *, data: bytes | IO[bytes] | None = None) -> TaskResponse:
        """``PUT``; returns the task it started."""
        return self._mutate("PUT", path, json, data)

    def delete(self, path: str) -> TaskResponse:
        """``DELETE``; returns the task it started."""
        return self._mutate("DELETE", path, None, None)

    def upload(
        self, path: str, data: bytes | IO[bytes], filename: str | None = None, *, method: str = "PUT"
    ) -> TaskResponse:
        """Send raw bytes (``application/octet-stream`` with ``Content-Length``).

        With ``filename`` the query ``?filename=<name>&filesize=<bytes>`` is added, as
        ``PUT /rest/v1/VirtualDisk/upload`` needs. The name is sent as given (not percent-encoded), as
        HyperCore's own clients do. A file object is streamed from its current position.
        """
        size = len(data) if isinstance(data, bytes | bytearray) else _remaining(data)
        if filename is not None:
            path = f"{path}?filename={filename}&filesize={size}"
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        response = self.request(method, path, data=data, headers=headers)
        return _task_response(response, method, path)

    def wait_task(
        self,
        task: str | TaskResponse,
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
        max_poll_interval: float | None = None,
    ) -> TaskTag | None:
        """Poll ``GET /rest/v1/TaskTag/{tag}`` until the task is neither QUEUED nor RUNNING.

        Returns the final status, or ``None`` when there is nothing to wait for (empty tag, or the cluster no
        longer knows the task). Raises :class:`ApiTaskFailed` for ERROR/UNINITIALIZED and :class:`ApiTimeout`
        after ``timeout`` seconds. The interval starts at ``poll_interval`` and doubles up to
        ``max_poll_interval`` (default: it stays fixed).
        """
        tag = task.task_tag if isinstance(task, TaskResponse) else task
        method, path = (
            (task.method, task.path) if isinstance(task, TaskResponse) else ("GET", _task_path(tag))
        )
        if not tag:
            return None
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        while True:
            status = self.get_task(tag)
            if status is None:
                return None
            if status.state in FAILED_TASK_STATES:
                message = status.message or status.description or "the cluster gave no message"
                raise ApiTaskFailed(
                    self.host,
                    method,
                    path,
                    f"task {tag} ended in {status.state}: {message}",
                    task_tag=tag,
                    state=status.state,
                )
            if status.state not in PENDING_TASK_STATES:
                return status
            if deadline is not None and time.monotonic() + interval > deadline:
                raise ApiTimeout(
                    self.host, method, path, f"task {tag} still {status.state} after {timeout:g} s"
                )
            time.sleep(interval)
            interval = min(interval * 2, max_poll_interval) if max_poll_interval else interval

    # --- typed reads ------------------------------------------------------------------------------

    def get_task(self, tag: str) -> TaskTag | None:
        """The status of task ``tag``, or ``None`` if the cluster does not know it."""
        found = self._records(_task_path(tag), TaskTag)
        return found[0] if found else None

    def list_vms(self) -> list[VirDomain]:
        """Every VM on the cluster."""
        return self._records(f"{API}/VirDomain", VirDomain)

    def get_vm(self, uuid: str) -> VirDomain | None:
        """The VM with this UUID, or ``None``."""
        found = self._records(f"{API}/VirDomain/{uuid}", VirDomain, missing_ok=True)
        return found[0] if found else None

    def find_vms(self, name: str) -> list[VirDomain]:
        """The VMs called ``name`` (HyperCore does not enforce unique names; the filter is client-side)."""
        return [vm for vm in self.list_vms() if vm.name == name]

    def list_nodes(self) -> list[Node]:
        """The cluster's nodes."""
        return self._records(f"{API}/Node", Node)

    def list_virtual_disks(self) -> list[VirtualDisk]:
        """Every uploaded virtual disk image."""
        return self._records(f"{API}/VirtualDisk", VirtualDisk)

    def get_virtual_disk(self, uuid: str) -> VirtualDisk | None:
        """The virtual disk with this UUID, or ``None``."""
        found = self._records(f"{API}/VirtualDisk/{uuid}", VirtualDisk, missing_ok=True)
        return found[0] if found else None

    def list_isos(self) -> list[Iso]:
        """Every uploaded ISO image."""
        return self._records(f"{API}/ISO", Iso)

    def list_snapshot_schedules(self) -> list[SnapshotSchedule]:
        """Every VM snapshot schedule (an empty list on a cluster without any)."""
        return self._records(f"{API}/VirDomainSnapshotSchedule", SnapshotSchedule)

    # --- helpers ----------------------------------------------------------------------------------

    def _mutate(self, method: str, path: str, json: Any, data: bytes | IO[bytes] | None) -> TaskResponse:
        return _task_response(self.request(method, path, json=json, data=data), method, path)

    def _records(self, path: str, model: type[_Record], *, missing_ok: bool = False) -> list[_Record]:
        try:
            rows = self.get(path)
        except ApiNotFound:
            if missing_ok:
                return []
            raise
        try:
            return [model.model_validate(row) for row in rows]
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ApiProtocolError(
                self.host, "GET", path, f"unexpected {model.__name__} record: {where}: {first['msg']}"
            ) from None


def _base_url(host: str) -> str:
    host = host.strip().rstrip("/")
    if not re.match(r"^https?://", host, re.IGNORECASE):
        host = f"https://{host}"
    return host


def _task_path(tag: str) -> str:
    return f"{API}/TaskTag/{urllib.parse.quote(tag, safe='')}"


def _task_response(response: requests.Response, method: str, path: str) -> TaskResponse:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}  # e.g. the ISO data upload answers 200 with a body nobody reads
    task = TaskResponse.model_validate(body) if isinstance(body, dict) else TaskResponse()
    return task.model_copy(update={"method": method, "path": path})


def _json(response: requests.Response, host: str, method: str, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ApiProtocolError(
            host, method, path, f"the answer is not JSON: {_snippet(response.text)}"
        ) from None


def _raise_for_status(response: requests.Response, host: str, method: str, path: str) -> None:
    status = response.status_code
    if status < 400:
        return
    reason = _error_text(response)
    kind: type[ApiStatusError]
    if status in (401, 403):
        kind = ApiAuthError
        reason = f"the cluster refused the credentials or the session: {reason}"
    elif status == 404:
        kind = ApiNotFound
    elif status == 400:
        kind = ApiBadRequest
    elif status >= 500:
        kind = ApiServerError
    else:
        kind = ApiStatusError
    raise kind(host, method, path, reason, status)


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return _snippet(response.text) or response.reason or f"HTTP {response.status_code}"


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(exc: BaseException) -> str:
    """The innermost useful reason of a requests/urllib3 exception, without object reprs."""
    reason: BaseException = exc
    while True:
        inner = getattr(reason, "reason", None)
        if not isinstance(inner, BaseException) and reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        if not isinstance(inner, BaseException) or inner is reason:
            break
        reason = inner
    text = re.sub(r"<[^<>]* object at 0x[0-9a-f]+>:\s*", "", str(reason))
    return text or type(reason).__name__


def _remaining(stream: IO[bytes]) -> int:
    start = stream.tell()
    end = stream.seek(0, os.SEEK_END)
    stream.seek(start)
    return end - start


def _retry(retries: int, backoff: float, *, idempotent: bool) -> Retry:
    """The retry policy of a session: every failure for idempotent calls, else only unsent requests."""
    if not idempotent:
        return Retry(
            total=retries, connect=retries, read=0, status=0, other=0, redirect=0, raise_on_status=False
        )
    return Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,  # e.g. TLS failures: retrying cannot help
        redirect=0,
        allowed_methods=None,  # this session only carries idempotent calls
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def _timed_out(exc: BaseException) -> bool:
    """Whether a connection error is a connect or read timeout (after the retries)."""
    reason: BaseException | None = exc
    while reason is not None:
        if isinstance(reason, NewConnectionError):  # a subclass of ConnectTimeoutError, but refused
            return False
        if isinstance(reason, (ConnectTimeoutError, ReadTimeoutError, requests.exceptions.ConnectTimeout)):
            return True
        inner = getattr(reason, "reason", None)
        if not isinstance(inner, BaseException) and reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        reason = inner if isinstance(inner, BaseException) and inner is not reason else None
    return False
