"""Reading and matching the golden wire traces in ``tests/standin/golden/`` (see its ``README.md``).

A golden file describes one resource type (or the data sources): the cluster objects it needs, and a list of
operations, each a Terraform command on a configuration and the requests the real provider v1.4.0 sends for
it, written from its Go source (each request cites the Go function that sends it). Values starting with
``@`` are variables: bound by the setup (``@vm``), or bound the first time they are seen (``@disk``) and then
required to be the same everywhere. Consecutive identical requests are collapsed on both sides (task polls,
repeated reads of the same record), as the stand-in polls sooner than the Go code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

VARIABLE = re.compile(r"@([a-z][a-z0-9_]*)")


@dataclass
class Bindings:
    """What the ``@`` variables stand for."""

    values: dict[str, Any] = field(default_factory=dict)

    def substitute(self, document: Any) -> Any:
        """``document`` (a configuration) with every bound ``@name`` replaced in its strings."""
        text = json.dumps(document)
        text = VARIABLE.sub(lambda m: str(self.values.get(m.group(1), m.group(0))), text)
        return json.loads(text)

    def match(self, expected: Any, actual: Any, where: str) -> str | None:
        """Why ``actual`` is not ``expected`` (``None`` if it is), binding new variables on the way."""
        if isinstance(expected, str) and VARIABLE.fullmatch(expected):
            name = expected[1:]
            if name not in self.values:
                self.values[name] = actual
                return None
            if self.values[name] != actual or type(self.values[name]) is not type(actual):
                return f"{where}: @{name} is {self.values[name]!r}, got {actual!r}"
            return None
        if isinstance(expected, dict):
            if not isinstance(actual, dict) or set(expected) != set(actual):
                keys = sorted(actual) if isinstance(actual, dict) else actual
                return f"{where}: keys {sorted(expected)} expected, got {keys}"
            for key in expected:
                problem = self.match(expected[key], actual[key], f"{where}.{key}")
                if problem:
                    return problem
            return None
        if isinstance(expected, list):
            if not isinstance(actual, list) or len(expected) != len(actual):
                return f"{where}: {expected!r} expected, got {actual!r}"
            for index, (one, other) in enumerate(zip(expected, actual, strict=True)):
                problem = self.match(one, other, f"{where}[{index}]")
                if problem:
                    return problem
            return None
        # JSON types must agree too: 10000000000 (Go's float64 without a fraction) is not 1e10 as a float
        if expected != actual or type(expected) is not type(actual):
            return f"{where}: {expected!r} ({type(expected).__name__}) expected, got {actual!r} ({type(actual).__name__})"
        return None

    def match_request(self, expected: dict[str, Any], actual: dict[str, Any]) -> str | None:
        """Method, path (segment by segment), query (pair by pair), body and upload size of one request."""
        where = f"{expected['method']} {expected['path']}"
        if expected["method"] != actual["method"]:
            return f"{where}: method {actual['method']}"
        wanted, got = expected["path"].split("/"), actual["path"].split("/")
        if len(wanted) != len(got):
            return f"{where}: path {actual['path']}"
        for one, other in zip(wanted, got, strict=True):
            problem = self.match(one, other, f"{where} (path)")
            if problem:
                return problem
        pairs = [list(pair) for pair in parse_qsl(actual["query"], keep_blank_values=True)]
        problem = self.match(
            [list(pair) for pair in parse_qsl(expected.get("query", ""), keep_blank_values=True)],
            pairs,
            f"{where} (query)",
        )
        if problem:
            return problem
        problem = self.match(expected.get("body"), actual["body"], f"{where} (body)")
        if problem:
            return problem
        if "bodySize" in expected:
            return self.match(expected["bodySize"], actual["bodySize"], f"{where} (bodySize)")
        return None


def collapse(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive identical requests (method, path, query, body) as one."""
    kept: list[dict[str, Any]] = []
    for request in requests:
        key = _key(request)
        if not kept or _key(kept[-1]) != key:
            kept.append(request)
    return kept


def _key(request: dict[str, Any]) -> str:
    return json.dumps(
        [request["method"], request["path"], request.get("query", ""), request.get("body")], sort_keys=True
    )


def compare(bindings: Bindings, expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> str | None:
    """Why the recorded requests differ from the golden ones, with both lists, or ``None``."""
    wanted, got = collapse(expected), collapse(actual)
    problem = None
    for index in range(max(len(wanted), len(got))):
        if index >= len(wanted):
            problem = f"request {index + 1} not in the golden trace: {_show(got[index])}"
        elif index >= len(got):
            problem = f"request {index + 1} missing: {_show(wanted[index])}"
        else:
            problem = bindings.match_request(wanted[index], got[index])
            if problem:
                problem = f"request {index + 1}: {problem}"
        if problem:
            break
    if problem is None:
        return None
    return (
        f"{problem}\n  golden:\n"
        + "\n".join(f"    {_show(r)}" for r in wanted)
        + "\n  sent:\n"
        + "\n".join(f"    {_show(r)}" for r in got)
    )


def _show(request: dict[str, Any]) -> str:
    query = f"?{request['query']}" if request.get("query") else ""
    body = f" {json.dumps(request['body'], sort_keys=True)}" if request.get("body") is not None else ""
    return f"{request['method']} {request['path']}{query}{body}"
