"""Fixtures for the simulator tests: one simulator per test module (real HTTP on 127.0.0.1), reset before
every test, and clients for it.

``sim`` is seeded with the demo site's templates and VLANs; ``client`` is fleetform's REST client logged in
to it; ``http`` is a plain ``requests`` session with Basic auth for checks on status codes and raw JSON.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simsupport import TEMPLATES, VLANS, Http

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with run_in_thread(templates=TEMPLATES, vlans=VLANS) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_cluster(request: pytest.FixtureRequest) -> None:
    """Every test starts from the seeded cluster, no faults, instant tasks."""
    if "sim" in request.fixturenames:
        sim: RunningSimulator = request.getfixturevalue("sim")
        sim.admin.reset()
        sim.admin.set_timing(task_seconds=0, shutdown_seconds=0, guest_agent=False)


@pytest.fixture
def http(sim: RunningSimulator) -> Iterator[Http]:
    helper = Http(sim)
    yield helper
    helper.session.close()


@pytest.fixture
def client(sim: RunningSimulator) -> Iterator[HypercoreClient]:
    """fleetform's REST client, logged in with a session cookie, without retries."""
    with HypercoreClient(sim.url, sim.username, sim.password, retries=0, timeout=30) as hc:
        yield hc
