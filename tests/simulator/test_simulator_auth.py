"""Login, sessions and Basic auth on the simulated /rest/v1."""

from __future__ import annotations

import pytest
import requests

from fleetform.errors import ApiAuthError
from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread


def _login(sim: RunningSimulator, username: str, password: str) -> requests.Response:
    body = {"username": username, "password": password, "useOIDC": False}
    return requests.post(f"{sim.url}/rest/v1/login", json=body, timeout=10)


def test_login_returns_session_id_and_cookie(sim: RunningSimulator) -> None:
    response = _login(sim, sim.username, sim.password)
    assert response.status_code == 200
    assert isinstance(response.json()["sessionID"], str)
    assert response.cookies["sessionID"] == response.json()["sessionID"]


def test_login_with_wrong_password_is_401(sim: RunningSimulator) -> None:
    response = _login(sim, sim.username, "wrong")
    assert response.status_code == 401
    assert isinstance(response.json()["error"], str)


def test_login_with_unknown_field_is_400(sim: RunningSimulator) -> None:
    body = {"username": sim.username, "password": sim.password, "otp": "1"}
    response = requests.post(f"{sim.url}/rest/v1/login", json=body, timeout=10)
    assert response.status_code == 400
    assert "Property not allowed" in response.json()["error"]


def test_request_without_credentials_is_401(sim: RunningSimulator) -> None:
    response = requests.get(f"{sim.url}/rest/v1/VirDomain", timeout=10)
    assert response.status_code == 401
    assert "error" in response.json()


def test_request_with_unknown_session_is_401(sim: RunningSimulator) -> None:
    response = requests.get(f"{sim.url}/rest/v1/VirDomain", cookies={"sessionID": "nope"}, timeout=10)
    assert response.status_code == 401


def test_request_with_session_cookie_is_accepted(sim: RunningSimulator) -> None:
    session_id = _login(sim, sim.username, sim.password).json()["sessionID"]
    response = requests.get(f"{sim.url}/rest/v1/VirDomain", cookies={"sessionID": session_id}, timeout=10)
    assert response.status_code == 200


def test_basic_auth_is_accepted(sim: RunningSimulator) -> None:
    response = requests.get(f"{sim.url}/rest/v1/Node", auth=(sim.username, sim.password), timeout=10)
    assert response.status_code == 200


def test_basic_auth_with_wrong_password_is_401(sim: RunningSimulator) -> None:
    response = requests.get(f"{sim.url}/rest/v1/Node", auth=(sim.username, "wrong"), timeout=10)
    assert response.status_code == 401


def test_logout_ends_the_session(sim: RunningSimulator) -> None:
    cookies = {"sessionID": _login(sim, sim.username, sim.password).json()["sessionID"]}
    assert requests.post(f"{sim.url}/rest/v1/logout", cookies=cookies, timeout=10).status_code == 200
    assert requests.get(f"{sim.url}/rest/v1/Node", cookies=cookies, timeout=10).status_code == 401


def test_rest_client_logs_in_and_out(sim: RunningSimulator) -> None:
    with HypercoreClient(sim.url, sim.username, sim.password, retries=0) as client:
        assert len(client.list_nodes()) == 1


def test_rest_client_with_wrong_password_raises_auth_error(sim: RunningSimulator) -> None:
    with pytest.raises(ApiAuthError), HypercoreClient(sim.url, sim.username, "wrong", retries=0):
        pass


def test_unknown_route_answers_404_with_error_body(sim: RunningSimulator) -> None:
    response = requests.get(f"{sim.url}/rest/v1/NoSuchThing", auth=(sim.username, sim.password), timeout=10)
    assert response.status_code == 404
    assert "error" in response.json()


def test_admin_api_needs_the_rest_login(sim: RunningSimulator) -> None:
    assert requests.get(f"{sim.url}/admin/settings", timeout=10).status_code == 401
    wrong = requests.get(f"{sim.url}/admin/settings", auth=(sim.username, "wrong"), timeout=10)
    assert wrong.status_code == 401
    basic = requests.get(f"{sim.url}/admin/settings", auth=(sim.username, sim.password), timeout=10)
    assert basic.status_code == 200
    with HypercoreClient(sim.url, sim.username, sim.password, retries=0) as client:
        session_id = client._session.cookies["sessionID"]
        cookie = requests.get(f"{sim.url}/admin/vlans", cookies={"sessionID": session_id}, timeout=10)
        assert cookie.status_code == 200


def test_admin_api_never_returns_the_password() -> None:
    with run_in_thread(username="operator", password="s3cret-Pa55") as sim:
        texts = [
            requests.get(f"{sim.url}/admin/{path}", auth=("operator", "s3cret-Pa55"), timeout=10).text
            for path in ("info", "settings", "requests?all=true", "faults", "actions")
        ]
        assert all("s3cret-Pa55" not in text for text in texts)
        assert '"username":"operator"' in texts[0]
