"""The golden-trace matcher is strict where the wire contract needs it: keys, JSON number types, variables."""

from __future__ import annotations

from support.wire import Bindings, collapse, compare


def request(method: str, path: str, body: object = None, query: str = "") -> dict[str, object]:
    return {"method": method, "path": path, "query": query, "body": body, "bodySize": 0}


def test_a_variable_binds_once_and_must_then_agree() -> None:
    bindings = Bindings({"vm": "v-1"})
    assert (
        bindings.match_request(
            request("GET", "/rest/v1/VirDomainBlockDevice/@disk"),
            request("GET", "/rest/v1/VirDomainBlockDevice/d-9"),
        )
        is None
    )
    assert bindings.values["disk"] == "d-9"
    problem = bindings.match_request(
        request("DELETE", "/rest/v1/VirDomainBlockDevice/@disk"),
        request("DELETE", "/rest/v1/VirDomainBlockDevice/d-8"),
    )
    assert problem is not None and "@disk is 'd-9'" in problem
    assert bindings.match({"virDomainUUID": "@vm"}, {"virDomainUUID": "v-2"}, "body") is not None


def test_body_keys_and_number_types_must_agree() -> None:
    bindings = Bindings()
    assert bindings.match({"capacity": 10000000000}, {"capacity": 10000000000.0}, "body") is not None
    assert bindings.match({"capacity": 1.5}, {"capacity": 1.5, "slot": 0}, "body") is not None
    assert bindings.match({"enable": True}, {"enable": 1}, "body") is not None
    assert bindings.match({"capacity": 17179869184.000004}, {"capacity": 17179869184.000004}, "body") is None


def test_paths_compare_with_their_trailing_slash_and_queries_pair_by_pair() -> None:
    bindings = Bindings()
    assert (
        bindings.match_request(
            request("POST", "/rest/v1/VirDomainBlockDevice/"),
            request("POST", "/rest/v1/VirDomainBlockDevice"),
        )
        is not None
    )
    wanted = request("PUT", "/rest/v1/VirtualDisk/upload", query="filename=a.img&filesize=@size")
    assert (
        bindings.match_request(
            wanted, request("PUT", "/rest/v1/VirtualDisk/upload", query="filesize=3&filename=a.img")
        )
        is not None
    )
    assert (
        bindings.match_request(
            wanted, request("PUT", "/rest/v1/VirtualDisk/upload", query="filename=a.img&filesize=3")
        )
        is None
    )


def test_repeated_polls_collapse_and_a_missing_request_is_reported() -> None:
    polls = [request("GET", "/rest/v1/TaskTag/7")] * 3
    assert len(collapse([request("POST", "/rest/v1/ISO", {"name": "a.iso"}), *polls])) == 2
    problem = compare(
        Bindings(),
        [request("POST", "/rest/v1/ISO", {"name": "a.iso"}), request("GET", "/rest/v1/TaskTag/@t")],
        [request("POST", "/rest/v1/ISO", {"name": "a.iso"})],
    )
    assert problem is not None and problem.startswith("request 2 missing: GET /rest/v1/TaskTag/@t")
