"""Any JSON body gets an answer of 200, 400 or 404 with an error message: never a 500 or a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simsupport import Http

from fleetform.simulator.testing import RunningSimulator

FIELDS = ["name", "type", "capacity", "vlan", "mem", "numVCPU", "tags", "macAddress", "virDomainUUID"]
FIELDS += ["slot", "path", "bootDevices", "cloudInitData", "tieringPriorityFactor", "connected", "dom"]
FIELDS += ["actionType", "template", "affinityStrategy", "machineType", "options", "description"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
BODIES = st.dictionaries(
    st.sampled_from(FIELDS), VALUES | st.sampled_from(["VIRTIO", "VIRTIO_DISK", "START", "x"]), max_size=6
)
PATHS = ["/VirDomain", "/VirDomainBlockDevice", "/VirDomainNetDevice", "/ISO", "/VirDomain/action"]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _assert_answered(status: int, body: Any) -> None:
    assert status in (200, 400, 404), body
    if status != 200:
        assert isinstance(body["error"], str) and body["error"]


@FUZZ
@given(path=st.sampled_from(PATHS), body=BODIES | st.lists(BODIES, max_size=2))
def test_random_post_bodies_are_answered_without_server_errors(
    sim: RunningSimulator, http: Http, path: str, body: Any
) -> None:
    response = http.post(path, body)
    _assert_answered(response.status_code, response.json())


@FUZZ
@given(body=BODIES)
def test_random_vm_patches_are_answered_without_server_errors(
    sim: RunningSimulator, http: Http, body: Any
) -> None:
    vm = http.create_vm("fuzz")
    response = http.patch(f"/VirDomain/{vm}", body)
    _assert_answered(response.status_code, response.json())
