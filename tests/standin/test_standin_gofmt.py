"""The stand-in renders values as the Go provider's fmt and encoding/json do (messages and request bodies)."""

from __future__ import annotations

import pytest

from fleetform.standin_provider.gofmt import go_float, go_json, go_value, json_decode


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10.0, "10"),
        (1.5, "1.5"),
        (123456.0, "123456"),
        (1e6, "1e+06"),  # %v switches to the exponent form at 21 digits for JSON, at 1e+06 for fmt
        (1.7e9, "1.7e+09"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.073741824, "1.073741824"),
        (-2.5, "-2.5"),
        (0.0, "0"),
    ],
)
def test_go_float_is_fmt_v_of_a_float64(value: float, shown: str) -> None:
    assert go_float(value) == shown


def test_go_value_prints_maps_sorted_and_nested_like_fmt() -> None:
    record = {"state": "ERROR", "progressPercent": 0, "nodeUUIDs": ["a", "b"], "x": None, "ok": True}
    assert go_value(record) == "map[nodeUUIDs:[a b] ok:true progressPercent:0 state:ERROR x:<nil>]"


def test_go_value_with_s_marks_what_is_not_a_string() -> None:
    assert (
        go_value({"state": "ERROR", "n": 5, "x": None}, "s")
        == "map[n:%!s(float64=5) state:ERROR x:%!s(<nil>)]"
    )


def test_go_json_is_json_marshal() -> None:
    body = {
        "type": "VIRTIO_DISK",
        "capacity": 10e9,
        "odd": 1.073741824 * 1000 * 1000 * 1000,
        "vlan": 10,
        "name": "a<b>&c",
    }
    assert go_json(body) == (
        '{"capacity":10000000000,"name":"a\\u003cb\\u003e\\u0026c","odd":1073741824.0000002,'
        '"type":"VIRTIO_DISK","vlan":10}'
    )
    assert go_json([1e21, 1e-7, None, True]) == "[1e+21,1e-7,null,true]"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "unexpected end of JSON input"),
        (b"<html>Bad Gateway</html>", "invalid character '<' looking for beginning of value"),
        (b'{"a": 1} trailing', "invalid character 't' after top-level value"),
        (b'{"a": ', "unexpected end of JSON input"),
    ],
)
def test_json_decode_errors_read_like_go(body: bytes, error: str) -> None:
    assert json_decode(body) == (None, error)
