"""Fault injection for tests: failing tasks, HTTP errors, added latency, guests that ignore ACPI.

Faults live in memory only (a restart clears them). Each matches requests by an optional HTTP method and a
regular expression searched in the request path (without the query string), and fires ``times`` times
(``None``: until cleared). The simulator's own ``/admin`` endpoints are never affected.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["task_error", "http_error", "latency", "ignore_shutdown"]
DEFAULT_TASK_ERROR = "Injected failure (fleetform simulator fault)"
HTTP_MESSAGES = {500: "An internal error occurred", 503: "Service unavailable"}


@dataclass
class Fault:
    """One injected fault.

    - ``task_error``: the next matching tasks end in ERROR with ``message``; the cluster is left unchanged.
    - ``http_error``: matching requests are answered ``status`` (500 or 503) before the cluster sees them.
    - ``latency``: matching requests are delayed ``seconds``.
    - ``ignore_shutdown``: guests of VMs whose name matches ``vm`` ignore ACPI SHUTDOWN.
    """

    id: int
    kind: FaultKind
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    status: int = 500
    message: str = ""
    seconds: float = 0.0
    vm: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "times": self.times,
            "status": self.status,
            "message": self.message,
            "seconds": self.seconds,
            "vm": self.vm,
        }


class FaultBook:
    """The active faults; thread-safe. ``take_*`` methods use up one firing of the first match."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        status: int = 500,
        message: str = "",
        seconds: float = 0.0,
        vm: str | None = None,
    ) -> Fault:
        """Add a fault; ``times`` defaults to 1 for task and HTTP errors, unlimited otherwise."""
        for pattern in (path, vm):
            if pattern is not None:
                re.compile(pattern)  # a bad pattern fails here, not on some later request
        if times is None and kind in ("task_error", "http_error"):
            times = 1
        if kind == "task_error" and not message:
            message = DEFAULT_TASK_ERROR
        if kind == "http_error" and not message:
            message = HTTP_MESSAGES.get(status, "An internal error occurred")
        with self._lock:
            fault = Fault(
                next(self._ids),
                kind,
                method=method,
                path=path,
                times=times,
                status=status,
                message=message,
                seconds=seconds,
                vm=vm,
            )
            self._faults.append(fault)
        return fault

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            kept = [fault for fault in self._faults if fault.id != fault_id]
            removed = len(kept) != len(self._faults)
            self._faults = kept
        return removed

    def take_http_error(self, method: str, path: str) -> Fault | None:
        return self._take("http_error", lambda f: f.matches(method, path))

    def take_task_error(self, method: str, path: str) -> Fault | None:
        return self._take("task_error", lambda f: f.matches(method, path))

    def take_ignore_shutdown(self, vm_name: str) -> Fault | None:
        return self._take("ignore_shutdown", lambda f: f.vm is None or re.search(f.vm, vm_name) is not None)

    def latency(self, method: str, path: str) -> float:
        """The total delay for this request (every matching latency fault adds up)."""
        total = 0.0
        with self._lock:
            for fault in list(self._faults):
                if fault.kind == "latency" and fault.matches(method, path):
                    total += fault.seconds
                    self._use(fault)
        return total

    def _take(self, kind: FaultKind, match: Callable[[Fault], bool]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and match(fault):
                    self._use(fault)
                    return fault
        return None

    def _use(self, fault: Fault) -> None:
        # Called with the lock held.
        if fault.times is None:
            return
        fault.times -= 1
        if fault.times <= 0:
            self._faults.remove(fault)
