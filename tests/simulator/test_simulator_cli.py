"""Starting the simulator: option parsing, `fleetform simulator serve` and `python -m fleetform.simulator`."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from fleetform.cli import app
from fleetform.simulator.errors import ConfigError
from fleetform.simulator.settings import read_site, settings_from_options

SITE = """\
networks:
  public-net: 10
  web-net: 20
templates:
  bios: fleetform-template-bios
  tpm: fleetform-template-tpm
"""


def _wait_for_port(path: Path, process: subprocess.Popen[str], timeout: float = 15) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().strip():
            return int(path.read_text())
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the simulator did not write its port file")


# --- options ------------------------------------------------------------------------------------------


def test_site_file_gives_templates_and_vlans(tmp_path: Path) -> None:
    site = tmp_path / "fleetform.yaml"
    site.write_text(SITE)
    templates, vlans = read_site(site)
    assert templates == {"bios": "fleetform-template-bios", "tpm": "fleetform-template-tpm"}
    assert vlans == {10: "public-net", 20: "web-net"}


def test_options_add_to_site_templates_and_vlans(tmp_path: Path) -> None:
    site = tmp_path / "fleetform.yaml"
    site.write_text(SITE)
    settings = settings_from_options(site=site, templates=["uefi=tmpl-uefi"], vlans=["30", "db=40"])
    assert settings.templates["uefi"] == "tmpl-uefi" and len(settings.templates) == 3
    assert (settings.vlans[30], settings.vlans[40]) == ("vlan30", "db")


def test_fail_tasks_and_latency_options_become_faults() -> None:
    settings = settings_from_options(fail_tasks=2, latency=0.5)
    assert [fault["kind"] for fault in settings.faults] == ["task_error", "latency"]


@pytest.mark.parametrize(
    "options",
    [
        {"templates": ["bios"]},
        {"templates": ["floppy=x"]},
        {"vlans": ["5000"]},
        {"faults": ["not json"]},
        {"port": 70000},
        {"site": Path("/nonexistent/fleetform.yaml")},
    ],
)
def test_bad_options_raise_config_error(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        settings_from_options(**options)  # type: ignore[arg-type]


def test_site_file_with_bad_vlan_raises_config_error(tmp_path: Path) -> None:
    site = tmp_path / "fleetform.yaml"
    site.write_text("networks:\n  public-net: ten\n")
    with pytest.raises(ConfigError, match=r"networks\.public-net"):
        read_site(site)


# --- command line -------------------------------------------------------------------------------------


def test_serve_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["simulator", "serve", "--help"])
    assert result.exit_code == 0
    assert all(option in result.output for option in ("--port", "--data", "--site", "--task-seconds"))


def test_serve_on_busy_port_exits_1_with_one_line_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = CliRunner().invoke(app, ["simulator", "serve", "--port", str(busy.getsockname()[1])])
    assert result.exit_code == 1
    assert "already in use" in result.output
    assert "Traceback" not in result.output


def test_serve_with_unreadable_site_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulator", "serve", "--port", "0", "--site", str(tmp_path / "none.yaml")]
    )
    assert result.exit_code == 1
    assert "cannot read the site file" in result.output


def test_cli_serve_on_port_zero_serves_seeded_site_until_sigterm(tmp_path: Path) -> None:
    site, port_file = tmp_path / "fleetform.yaml", tmp_path / "port"
    site.write_text(SITE)
    command = [sys.executable, "-c", "from fleetform.cli import main; main()", "simulator", "serve"]
    command += [
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--site",
        str(site),
        "--data",
        str(tmp_path / "d"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = _wait_for_port(port_file, process)
        response = requests.get(
            f"http://127.0.0.1:{port}/rest/v1/VirDomain", auth=("admin", "admin"), timeout=10
        )
        assert sorted(vm["name"] for vm in response.json()) == [
            "fleetform-template-bios",
            "fleetform-template-tpm",
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert stdout.splitlines()[0] == f"fleetform simulator listening on http://127.0.0.1:{port}"
    assert (tmp_path / "d" / "hypercore.sqlite3").is_file()


def test_python_module_prints_listening_line(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    command = [sys.executable, "-m", "fleetform.simulator", "--port", "0", "--port-file", str(port_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = _wait_for_port(port_file, process)
        assert requests.get(f"http://127.0.0.1:{port}/rest/v1/Node", auth=("admin", "admin"), timeout=10).ok
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert stdout.startswith(f"fleetform simulator listening on http://127.0.0.1:{port}\n")


def test_embedded_start_accepts_a_password_that_starts_with_a_dash(tmp_path: Path) -> None:
    # embedded.start makes a random password (token_urlsafe), which starts with "-" one time in 64.
    from fleetform.terraform import embedded

    paths = embedded.Paths(tmp_path)
    simulator, started = embedded.start(paths, password="-dash-first")
    try:
        assert started
        session = requests.post(
            f"{simulator.url}/rest/v1/login",
            json={"username": simulator.username, "password": "-dash-first"},
            timeout=10,
        )
        assert session.status_code == 200, session.text
        assert "sessionID" in session.cookies
    finally:
        assert embedded.stop(paths)


def test_cli_serve_tls_prints_its_ca_file_and_serves_https(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    command = [sys.executable, "-c", "from fleetform.cli import main; main()", "simulator", "serve", "--tls"]
    command += ["--port", "0", "--port-file", str(port_file), "--data", str(tmp_path / "d")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ca_file = tmp_path / "d" / "tls" / "ca.pem"
    try:
        port = _wait_for_port(port_file, process)
        url = f"https://127.0.0.1:{port}/rest/v1/Node"
        assert requests.get(url, auth=("admin", "admin"), verify=str(ca_file), timeout=10).ok
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, auth=("admin", "admin"), verify=True, timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=15)
    assert stdout.splitlines()[0] == f"fleetform simulator listening on https://127.0.0.1:{port}"
    assert f"CA file   {ca_file}" in stdout and f"HC_CA_BUNDLE={ca_file}" in stdout


def test_background_simulator_reuses_its_port_and_status_prints_url_and_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fleetform.terraform import embedded

    paths = embedded.Paths(tmp_path)
    first, _ = embedded.start(paths)
    try:
        monkeypatch.chdir(tmp_path)
        shown = CliRunner().invoke(app, ["simulator", "status"])
        assert shown.exit_code == 0, shown.output
        assert first.url in shown.output and f"user      {first.username}" in shown.output
        assert first.password not in shown.output
    finally:
        assert embedded.stop(paths)
    stopped = CliRunner().invoke(app, ["simulator", "status"])
    assert stopped.exit_code == 1 and "no simulator is running" in stopped.output
    second, started = embedded.start(paths)
    try:
        assert started and second.url == first.url
    finally:
        embedded.stop(paths)
