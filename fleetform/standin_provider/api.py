"""The real provider's REST calling conventions (``internal/utils/rest_client.go``) over ``HypercoreClient``.

Which HTTP failures end an operation and which the real provider lets pass differs per kind of call; these
methods reproduce that, so the resources can mirror the Go code line by line:

- GETs: any failure is a crash; filtering is client-side on the full collection.
- ``create`` (POST of an object): an HTTP error status is returned to the caller (:class:`Rejected`), which
  decides; a connection failure is a crash.
- ``create_list`` (POST of a list), ``update`` (PATCH), ``put_binary``: HTTP 400 is a crash, other error
  statuses are :class:`Rejected`.
- ``delete``: HTTP failures are ignored and the object is forgotten (a warning says so).
- ``wait``: a task in ERROR or UNINITIALIZED is a crash.

The stand-in polls tasks faster than the real provider's fixed 1 s (``HC_POLL_INTERVAL`` seconds at first,
doubling up to 1 s) so tests are quick; the outcome is the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from fleetform.errors import ApiBadRequest, ApiError, ApiStatusError, ApiTaskFailed
from fleetform.standin_provider.diagnostics import Call, Failure, crash

if TYPE_CHECKING:  # the REST client (requests, pydantic) loads only when the provider is configured
    from fleetform.hypercore import HypercoreClient, TaskResponse, TaskTag

API = "/rest/v1"

Rows = list[dict[str, Any]]


class Rejected(Failure):
    """The cluster answered with an error status; the real provider's caller decides what that means."""

    def __init__(self, error: ApiError):
        super().__init__("Unexpected error", f"the cluster rejected the call: {error}")
        self.error = error


@dataclass(frozen=True)
class Polling:
    """How often to poll tasks and power states: ``interval`` at first, doubling up to ``max_interval``."""

    interval: float = 0.05
    max_interval: float = 1.0


class Api:
    """The REST calls of one plugin call, with the real provider's error semantics."""

    def __init__(self, client: HypercoreClient, polling: Polling, call: Call):
        self.client = client
        self.polling = polling
        self.call = call

    @property
    def host(self) -> str:
        return self.client.host

    # --- reads ------------------------------------------------------------------------------------

    def list(self, path: str, **match: Any) -> Rows:
        """``ListRecords``: GET the collection, keep the records whose fields equal ``match``."""
        try:
            rows = self.client.get(path)
        except ApiError as exc:
            raise crash(f"error making a request: {exc}") from None
        return [row for row in rows if all(row.get(key) == value for key, value in match.items())]

    def record(self, path: str, *, must_exist: bool = False, **match: Any) -> dict[str, Any] | None:
        """``GetRecord``: at most one matching record; more (or none, with ``must_exist``) is a crash."""
        rows = self.list(path, **match)
        query = "map[" + " ".join(f"{key}:{value}" for key, value in match.items()) + "]"
        if len(rows) > 1:
            raise crash(f"{len(rows)} records from endpoint {path} match the {query} query.")
        if must_exist and not rows:
            raise crash(f"No records from endpoint {path} match the {query} query.")
        return rows[0] if rows else None

    def vm(self, uuid: str) -> dict[str, Any]:
        """``GetOneVM``: the VM, or a crash."""
        found = self.list(f"{API}/VirDomain/{uuid}")
        if not found:
            raise crash(f"VM not found: uuid={uuid}")
        return found[0]

    # --- writes -----------------------------------------------------------------------------------

    def create(self, path: str, body: dict[str, Any]) -> TaskResponse:
        """``CreateRecord`` (POST of an object)."""
        try:
            return self.client.post(path, body)
        except ApiStatusError as exc:
            raise Rejected(exc) from None
        except ApiError as exc:
            raise crash(f"runtime error: invalid memory address or nil pointer dereference ({exc})") from None

    def create_list(self, path: str, body: Rows) -> TaskResponse:
        """``CreateRecordWithList`` (POST of a list, the power actions)."""
        return self._send(lambda: self.client.post(path, body), "POST", body)

    def update(self, path: str, body: dict[str, Any]) -> TaskResponse:
        """``UpdateRecord`` (PATCH)."""
        return self._send(lambda: self.client.patch(path, body), "PATCH", body)

    def put_binary(self, path: str, data: bytes | IO[bytes]) -> TaskResponse:
        """``PutBinaryRecord`` (PUT of raw bytes; ``path`` carries its query string)."""
        return self._send(lambda: self.client.upload(path, data), "PUT", "<binary data>")

    def put_plain(self, path: str, data: bytes) -> None:
        """``PutBinaryRecordWithoutTaskTag``: anything but HTTP 200 is a crash."""
        try:
            self.client.upload(path, data)
        except ApiError as exc:
            raise crash(f"error making a request: {exc}") from None

    def delete(self, path: str) -> TaskResponse | None:
        """``DeleteRecord``: the real provider ignores HTTP failures here and forgets the object."""
        try:
            return self.client.delete(path)
        except ApiStatusError as exc:
            self.call.warn(
                "Delete failed on the cluster",
                f"{exc}. The real provider ignores this answer and removes the object from the Terraform "
                "state; it is left on the cluster.",
            )
            return None
        except ApiError as exc:
            raise crash(f"error making a request: {exc}") from None

    def _send(self, send: Callable[[], TaskResponse], method: str, body: Any) -> TaskResponse:
        try:
            return send()
        except ApiBadRequest as exc:
            raise crash(
                f"error making a request: Maybe the arguments passed were incorrectly formatted: {body} - "
                f"response: {exc}"
            ) from None
        except ApiStatusError as exc:
            raise Rejected(exc) from None
        except ApiError as exc:
            raise crash(f"error making a request: {exc}") from None

    # --- tasks and polling ------------------------------------------------------------------------

    def wait(self, task: TaskResponse | None) -> None:
        """``WaitTask``: nothing to do without a task tag; ERROR/UNINITIALIZED is a crash."""
        if task is None or not task.task_tag:
            return
        try:
            self.client.wait_task(
                task, poll_interval=self.polling.interval, max_poll_interval=self.polling.max_interval
            )
        except ApiTaskFailed as exc:
            raise crash(f"Error executing task: {exc.state}, {exc}") from None
        except ApiError as exc:
            raise crash(f"error making a request: {exc}") from None

    def status(self, task: TaskResponse | None) -> TaskTag | None:
        """``GetStatus``: the task's final record (``None`` without a task)."""
        if task is None or not task.task_tag:
            return None
        try:
            return self.client.get_task(task.task_tag)
        except ApiError as exc:
            raise crash(f"error making a request: {exc}") from None

    def poll(self, done: Callable[[], bool], timeout: float) -> bool:
        """Call ``done`` until it is true or ``timeout`` seconds have passed; whether it became true."""
        deadline = time.monotonic() + timeout
        interval = self.polling.interval
        while True:
            if done():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 2, self.polling.max_interval)
