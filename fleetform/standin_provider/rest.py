"""The real provider's HTTP layer (``internal/utils/rest_client.go`` and ``task_tag.go``), over ``requests``.

It shares no code with fleetform's own REST client (``fleetform.hypercore``), which verifies TLS, retries and
words errors for people; one bug cannot hide in both. What the Go code does, this does:

- One session per run: ``login`` (``POST /rest/v1/login {username, password, useOIDC}``, HTTP 200 and a JSON
  object or a panic) is called once, in Configure; every later request carries ``Cookie: sessionID=<id>``. It
  never logs out and never logs in again.
- Headers ``Accept: application/json`` and ``Content-Type: application/json`` (uploads:
  ``application/octet-stream`` and a ``Content-Length``), Go's ``User-Agent`` and ``Accept-Encoding``. Bodies
  are ``json.Marshal``'s bytes (:func:`~fleetform.standin_provider.gofmt.go_json`).
- TLS is never verified, no proxy is taken from the environment (the Go code builds its own ``Transport``),
  nothing is retried, redirects are followed.
- One timeout for every call: 60 s, or none at all when ``timeout``/``HC_TIMEOUT`` is set (``provider.go``
  never parses the value and passes 0). Difference: ``requests`` applies it to connecting and to each read,
  Go's ``http.Client`` to the whole exchange.
- What an answer means depends on the call, as in the Go code: GETs (:meth:`RestClient.list_records`) panic
  unless the status is 200 or 204 and the body a JSON array of objects; ``create_record`` (POST) returns an
  HTTP 400's ``error`` text to its caller and panics on a connection failure (the Go code reads the status of
  a nil response); ``create_record_with_list``, ``update_record`` (PATCH) and ``put_binary_record`` panic on
  HTTP 400; every other status passes, and an answer without ``taskTag`` becomes an error value holding the
  answer; ``delete_record`` accepts any status and needs only a JSON body.
- Tasks (:meth:`RestClient.wait_task`): ``GET /rest/v1/TaskTag/{tag}`` until its state is neither RUNNING nor
  QUEUED, ERROR and UNINITIALIZED panic, no overall limit. The Go code sleeps 1 s between polls; this polls
  sooner (``Polling``: ``interval`` at first, doubling up to the Go interval). A task's outcome does not depend
  on when it is polled, so the result and the requests are the same but for the number of repeated polls. The
  same holds for :meth:`RestClient.poll`, used by the power-state waits, which keeps the Go code's wall-clock
  limits.

A panic of the Go code is raised as :func:`~fleetform.standin_provider.diagnostics.crash`, which the
resources let through, as the Go code's ``RecoverDiagnostics`` does.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fleetform.standin_provider.diagnostics import crash, nil_pointer
from fleetform.standin_provider.gofmt import go_json, go_value, json_decode

if TYPE_CHECKING:
    import requests

API = "/rest/v1"
USER_AGENT = "Go-http-client/1.1"
CLIENT_TIMEOUT = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"

Record = dict[str, Any]


@dataclass(frozen=True)
class TaskTag:
    """``utils.TaskTag``: the answer to a write (``createdUUID`` is ``""`` when absent)."""

    created_uuid: str
    task_tag: str


@dataclass(frozen=True)
class Polling:
    """How soon to poll again: ``interval`` seconds at first, doubling up to the Go code's interval."""

    interval: float = 0.05


class _TransportError(Exception):
    """``http.Client.Do`` failed; the message is Go's ``*url.Error`` text."""


class RestClient:
    """``utils.RestClient``: one HyperCore session for the whole Terraform run."""

    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        auth_method: str,
        timeout: float | None,
        polling: Polling | None = None,
    ):
        import requests  # loaded only once the provider is configured: schema-only runs need no HTTP
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self.host = host
        self.username = username
        self.password = password
        self.auth_method = auth_method
        self.timeout = timeout
        self.polling = polling or Polling()
        self.auth_header: dict[str, str] = {}
        self._requests = requests
        self._session = requests.Session()
        self._session.trust_env = False
        self._session.verify = False
        self._session.headers.clear()

    # --- transport --------------------------------------------------------------------------------

    def _do(
        self,
        method: str,
        endpoint: str,
        body: bytes | None,
        content_type: str,
        headers: dict[str, str] | None,
    ) -> requests.Response:
        """``http.NewRequest`` and ``HttpClient.Do``; a Go ``invalid request`` panic or a transport error."""
        url = self.host + endpoint
        problem = _url_problem(url)
        if problem is not None and problem[0] == "invalid":
            raise crash(f"invalid request: {problem[1]}")
        if problem is not None:
            raise _TransportError(f'{_op(method)} "{url}": unsupported protocol scheme "{problem[1]}"')
        sent = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Content-Type": content_type,
            "Accept-Encoding": "gzip",
            **(headers or {}),
        }
        prepared = self._requests.Request(method, url, data=body, headers=sent).prepare()
        if not body and method in ("GET", "DELETE"):
            prepared.headers.pop("Content-Length", None)  # Go sends none for a bodyless GET or DELETE
        elif not body:
            prepared.headers["Content-Length"] = "0"
        try:
            return self._session.send(prepared, timeout=self.timeout, allow_redirects=True)
        except self._requests.RequestException as exc:
            raise _TransportError(f'{_op(method)} "{url}": {transport_reason(url, exc)}') from None

    def _json_request(self, method: str, endpoint: str, payload: Any, auth: bool = True) -> requests.Response:
        body = None if payload is None else go_json(payload).encode()
        return self._do(method, endpoint, body, "application/json", self.auth_header if auth else None)

    def _binary_request(self, endpoint: str, data: bytes) -> requests.Response:
        return self._do("PUT", endpoint, data, "application/octet-stream", self.auth_header)

    @staticmethod
    def _to_json(response: requests.Response) -> Any:
        """``ToJson``: the decoded body, or the Go panic."""
        value, error = json_decode(response.content)
        if error is not None:
            raise crash(f"failed to decode response body: {error}, body={response.text}")
        return value

    # --- session ----------------------------------------------------------------------------------

    def login(self) -> None:
        """``Login``: POST the credentials and keep the session cookie; anything else panics."""
        payload = {
            "username": self.username,
            "password": self.password,
            "useOIDC": self.auth_method == "oidc",
        }
        try:
            response = self._json_request("POST", f"{API}/login", payload, auth=False)
        except _TransportError as exc:
            raise crash(f"couldn't authenticate: {exc}") from None
        if response.status_code != 200:
            raise crash(
                f"authentication failed with HTTP status code: {response.status_code}, body: {response.text}"
            )
        answer = self._to_json(response)
        if not isinstance(answer, dict):
            raise crash("session ID not found in response")
        self.auth_header = {"Cookie": f"sessionID={go_value(answer.get('sessionID'), 's')}"}

    # --- reads ------------------------------------------------------------------------------------

    def list_records(
        self, endpoint: str, query: Record | None = None, *, recursive: bool = False
    ) -> list[Record]:
        """``ListRecords``: GET the whole collection and filter it here (HyperCore is never asked to)."""
        try:
            response = self._json_request("GET", endpoint, None)
        except _TransportError as exc:
            raise crash(f"error making a request: {exc}") from None
        if response.status_code not in (200, 204):
            raise crash(f"unexpected response: {response.status_code} - {response.text}")
        answer = self._to_json(response)
        if not isinstance(answer, list):
            raise crash(f"expected a JSON list of objects, go: {go_value(answer)}")
        for item in answer:
            if not isinstance(item, dict):
                raise crash(f"unexpected item in response list: {go_value(item)}")
        matches = _matches_recursive if recursive else _matches
        return [record for record in answer if matches(record, query or {})]

    def get_record(
        self, endpoint: str, query: Record | None = None, must_exist: bool = False
    ) -> Record | None:
        """``GetRecord``: at most one matching record; more, or none when it must exist, panic."""
        records = self.list_records(endpoint, query)
        if len(records) > 1:
            raise crash(
                f"{len(records)} records from endpoint {endpoint} match the {go_value(query or {})} query."
            )
        if must_exist and not records:
            raise crash(f"No records from endpoint {endpoint} match the {go_value(query or {})} query.")
        return records[0] if records else None

    # --- writes -----------------------------------------------------------------------------------

    def create_record(self, endpoint: str, payload: Record) -> tuple[TaskTag | None, int, str | None]:
        """``CreateRecord`` (POST of an object): the task, the HTTP status and the error text, if any."""
        try:
            response = self._json_request("POST", endpoint, payload)
        except _TransportError:
            raise nil_pointer() from None  # the Go code returns resp.StatusCode of a nil response
        answer = self._to_json(response)
        status = response.status_code
        if status == 400:
            body = _any_to_map(answer)
            if "error" in body:
                message = body["error"]
                if not isinstance(message, str):
                    raise crash(f"Unexpected variable where a string was expected: {go_value(message)}")
                return None, status, message
            raise crash(f"unexpected response body: {go_value(answer)}")
        if "taskTag" not in _any_to_map(answer):
            return None, status, go_json(answer)
        return _task_tag(answer), status, None

    def create_record_with_list(
        self, endpoint: str, payload: list[Record]
    ) -> tuple[TaskTag | None, int, str | None]:
        """``CreateRecordWithList`` (POST of a list, the power actions): HTTP 400 panics."""
        try:
            response = self._json_request("POST", endpoint, payload)
        except _TransportError:
            raise nil_pointer() from None
        answer = self._to_json(response)
        if response.status_code == 400:
            raise crash(f"unexpected response body: {go_value(answer)}")
        if "taskTag" not in _any_to_map(answer):
            return None, response.status_code, go_json(answer)
        return _task_tag(answer), response.status_code, None

    def update_record(self, endpoint: str, payload: Record) -> tuple[TaskTag | None, str | None]:
        """``UpdateRecord`` (PATCH): HTTP 400 panics; an answer without ``taskTag`` is an error value."""
        try:
            response = self._json_request("PATCH", endpoint, payload)
        except _TransportError as exc:
            raise crash(f"error making a request: {exc}") from None
        return self._task_answer(response)

    def put_binary_record(self, endpoint: str, data: bytes) -> tuple[TaskTag | None, str | None]:
        """``PutBinaryRecord`` (PUT of raw bytes; ``endpoint`` carries the query string)."""
        try:
            response = self._binary_request(endpoint, data)
        except _TransportError as exc:
            raise crash(f"error making a request: {exc}") from None
        return self._task_answer(response)

    def put_binary_record_without_task_tag(self, endpoint: str, data: bytes) -> int:
        """``PutBinaryRecordWithoutTaskTag``: anything but HTTP 200 panics; the body is not read."""
        try:
            response = self._binary_request(endpoint, data)
        except _TransportError as exc:
            raise crash(f"error making a request: {exc}") from None
        if response.status_code != 200:
            raise crash(f"error making a request: got response status code {response.status_code}")
        return response.status_code

    def delete_record(self, endpoint: str) -> TaskTag | None:
        """``DeleteRecord``: any status is accepted; the body must be JSON; its ``taskTag``, if any."""
        try:
            response = self._json_request("DELETE", endpoint, None)
        except _TransportError as exc:
            raise crash(f"error making a request: {exc}") from None
        return _task_tag(self._to_json(response))

    def _task_answer(self, response: requests.Response) -> tuple[TaskTag | None, str | None]:
        answer = self._to_json(response)
        if response.status_code == 400:
            raise crash(f"unexpected response body: {go_value(answer)}")
        if "taskTag" not in _any_to_map(answer):
            return None, go_json(answer)
        return _task_tag(answer), None

    # --- tasks and polling ------------------------------------------------------------------------

    def wait_task(self, task: TaskTag | None) -> None:
        """``TaskTag.WaitTask``: poll until the task left RUNNING/QUEUED; ERROR or UNINITIALIZED panic."""
        if task is None or task.task_tag == "":
            return
        interval = self.polling.interval
        while True:
            status = self.get_record(f"{API}/TaskTag/{task.task_tag}", {})
            if status is None:
                return
            if "state" in status:
                state = status["state"]
                if state in ("ERROR", "UNINITIALIZED"):
                    raise crash(f"Error executing task: {state}, &{go_value(status, 's')}")
                if state not in ("RUNNING", "QUEUED"):
                    return
            time.sleep(interval)
            interval = min(interval * 2, 1.0)

    def get_status(self, task: TaskTag | None) -> Record | None:
        """``TaskTag.GetStatus``: the task's record (``None`` without a task tag or record)."""
        if task is None or task.task_tag == "":
            return None
        return self.get_record(f"{API}/TaskTag/{task.task_tag}", {})

    def poll(self, done: Callable[[], bool], limit: float, go_sleep: float) -> bool:
        """Check ``done`` until it is true or ``limit`` seconds have passed (the Go code sleeps ``go_sleep``)."""
        start = time.monotonic()
        interval = min(self.polling.interval, go_sleep)
        while True:
            if done():
                return True
            if time.monotonic() - start >= limit:
                return False
            time.sleep(interval)
            interval = min(interval * 2, go_sleep, 1.0)


# --- helpers ----------------------------------------------------------------------------------------------


def _any_to_map(value: Any) -> Record:
    """``AnyToMap``: its panic prints the failed conversion's zero value, always ``map[]``."""
    if not isinstance(value, dict):
        raise crash("Unexpected variable where a map[string]any was expected: map[]")
    return value


def _task_tag(answer: Any) -> TaskTag | None:
    """``jsonObjectToTaskTag``: no task unless ``taskTag`` is a string."""
    if not isinstance(answer, dict) or not isinstance(answer.get("taskTag"), str):
        return None
    created = answer.get("createdUUID")
    return TaskTag(created if isinstance(created, str) else "", answer["taskTag"])


def _same(left: Any, right: Any) -> bool:
    """Go's ``==`` of two decoded JSON values (numbers are all float64; a bool is never a number)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False  # comparing maps or slices inside interfaces panics in Go; no filter does it
    return bool(left == right)


def _matches(record: Record, query: Record) -> bool:
    """``isSuperset``."""
    return all(key in record and _same(record[key], value) for key, value in query.items())


def _matches_recursive(record: Record, query: Record) -> bool:
    """``isSupersetRecursive``: nested maps in the query match nested maps in the record."""
    for key, value in query.items():
        if key not in record:
            return False
        if isinstance(value, dict):
            if not isinstance(record[key], dict) or not _matches_recursive(record[key], value):
                return False
        elif not _same(record[key], value):
            return False
    return True


def _op(method: str) -> str:
    """The operation Go's ``*url.Error`` names: ``Get``, ``Post``, ``Patch`` ..."""
    return method[:1] + method[1:].lower()


def _url_problem(url: str) -> tuple[str, str] | None:
    """Why Go would not send to ``url``: ``("invalid", parse error)`` or ``("scheme", scheme)``; else None."""
    scheme = ""
    for index, char in enumerate(url):
        if char.isascii() and char.isalpha():
            continue
        if char.isascii() and (char.isdigit() or char in "+-."):
            if index == 0:
                break
            continue
        if char == ":":
            if index == 0:
                return "invalid", f'parse "{url}": missing protocol scheme'
            scheme = url[:index].lower()
        break
    if not scheme:
        if ":" in url.split("/", 1)[0]:
            return "invalid", f'parse "{url}": first path segment in URL cannot contain colon'
        return "scheme", ""
    if scheme not in ("http", "https"):
        return "scheme", scheme
    return None


def transport_reason(url: str, exc: Exception) -> str:
    """The text after ``Post "url": `` in Go's error for the same failure."""
    import requests

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if isinstance(exc, requests.Timeout):
        return CLIENT_TIMEOUT
    causes: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(causes) < 10:
        causes.append(seen)
        nested = [arg for arg in getattr(seen, "args", ()) if isinstance(arg, BaseException)]
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else (nested[0] if nested else seen.__context__)
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError) or "Connection refused" in str(cause):
            return f"dial tcp {host}:{port}: connect: connection refused"
        if isinstance(cause, socket.gaierror) or "Name or service not known" in str(cause):
            return f"dial tcp: lookup {host}: no such host"
        if "CERTIFICATE_VERIFY_FAILED" in str(cause):
            return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    for cause in causes:
        if "RemoteDisconnected" in type(cause).__name__ or "Connection aborted" in str(cause):
            return "EOF"
    return str(exc)
