"""fleetform's REST client against the simulator serving HTTPS (``fleetform simulator serve --tls``): it verifies
by default, trusts the simulator's CA through ``HC_CA_BUNDLE`` or ``REQUESTS_CA_BUNDLE``, skips verification
with ``--insecure``, and an unknown certificate fails naming the host and the fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetform.errors import ApiTlsError
from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    with run_in_thread(tls=True, data_dir=tmp_path_factory.mktemp("tls-sim")) as sim:
        yield sim


def env(sim: RunningSimulator, **extra: str) -> dict[str, str]:
    return {**sim.env(), **extra}


def test_tls_simulator_serves_https_and_writes_its_ca_file(tls_sim: RunningSimulator) -> None:
    assert tls_sim.url.startswith("https://127.0.0.1:")
    ca_file = tls_sim.server.ca_file
    assert ca_file is not None and ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert any(str(ca_file) in line for line in tls_sim.server.banner())


def test_client_verifies_with_hc_ca_bundle(tls_sim: RunningSimulator) -> None:
    ca = str(tls_sim.server.ca_file)
    with HypercoreClient.from_env(env(tls_sim, HC_CA_BUNDLE=ca), retries=0) as client:
        assert len(client.list_nodes()) == 1


def test_client_verifies_with_requests_ca_bundle(
    tls_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_sim.server.ca_file))
    with HypercoreClient.from_env(env(tls_sim), retries=0) as client:
        assert len(client.list_nodes()) == 1


def test_client_with_insecure_skips_verification(tls_sim: RunningSimulator) -> None:
    with HypercoreClient.from_env(env(tls_sim), verify_tls=False, retries=0) as client:
        assert len(client.list_nodes()) == 1


def test_unknown_certificate_fails_naming_host_and_fix(
    tls_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(ApiTlsError) as caught, HypercoreClient.from_env(env(tls_sim), retries=3):
        pass
    message = str(caught.value)
    assert tls_sim.url in message
    assert "HC_CA_BUNDLE" in message and "--insecure" in message
    assert "certificate verify failed" in message


def test_ca_is_kept_across_restarts(tmp_path: Path) -> None:
    with run_in_thread(tls=True, data_dir=tmp_path) as sim:
        first = sim.server.ca_file.read_bytes() if sim.server.ca_file else b""
        sim.restart()
        assert sim.server.ca_file is not None and sim.server.ca_file.read_bytes() == first
        with HypercoreClient.from_env(env(sim, HC_CA_BUNDLE=str(sim.server.ca_file)), retries=0) as client:
            assert client.list_nodes()
