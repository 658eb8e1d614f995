"""A fleet of simulated clusters from one process: each its own URL, login, VLANs, templates and data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fleetform.errors import ApiAuthError
from fleetform.hypercore import HypercoreClient
from fleetform.simulator.errors import ConfigError
from fleetform.simulator.fleet import fleet_from_options
from fleetform.simulator.testing import run_fleet_in_thread

SITE = """\
networks: {lan: 10, web: 20}
templates: {uefi: tmpl-uefi}
clusters:
  - name: store-a
    networks: {web: 120}
  - name: store-b
    templates: {bios: store-b-bios}
  - name: lab
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "fleetform.yaml"
    path.write_text(SITE)
    return path


def test_each_cluster_of_the_site_has_its_own_url_login_vlans_and_templates(site: Path) -> None:
    with run_fleet_in_thread(site=site, task_seconds=0) as fleet:
        assert [c.name for c in fleet] == ["store-a", "store-b", "lab"]
        assert len({c.url for c in fleet}) == 3 and len({c.password for c in fleet}) == 3
        assert fleet["store-a"].admin.vlans() == [{"vlan": 10, "name": "lan"}, {"vlan": 120, "name": "web"}]
        assert {v["vlan"] for v in fleet["lab"].admin.vlans()} == {10, 20}
        names = {}
        for cluster in fleet:
            with HypercoreClient(cluster.url, cluster.username, cluster.password) as client:
                names[cluster.name] = sorted(vm.name for vm in client.list_vms())
        assert names == {
            "store-a": ["tmpl-uefi"],
            "store-b": ["store-b-bios", "tmpl-uefi"],
            "lab": ["tmpl-uefi"],
        }
        # One cluster's password does not open another.
        with (
            pytest.raises(ApiAuthError),
            HypercoreClient(fleet["lab"].url, "admin", fleet["store-a"].password) as c,
        ):
            c.list_vms()


def test_clusters_do_not_share_vms_logs_or_settings(site: Path) -> None:
    with run_fleet_in_thread(site=site, task_seconds=0) as fleet:
        a, b = fleet["store-a"], fleet["store-b"]
        session = requests.Session()
        session.auth = (a.username, a.password)
        created = session.post(
            f"{a.url}/rest/v1/VirDomain",
            json={"dom": {"name": "only-on-a", "mem": 1 << 30, "numVCPU": 1}, "options": {}},
            timeout=10,
        )
        assert created.status_code == 200, created.text
        with HypercoreClient(b.url, b.username, b.password) as client:
            assert "only-on-a" not in {vm.name for vm in client.list_vms()}
        assert [r["path"] for r in a.admin.requests()] == ["/rest/v1/VirDomain"]
        assert [r["path"] for r in b.admin.requests()] == ["/rest/v1/login", "/rest/v1/logout"]
        a.admin.set_timing(guest_agent=True)
        assert a.admin.call("GET", "/settings")["guestAgent"] is True
        assert b.admin.call("GET", "/settings")["guestAgent"] is False
        assert a.admin.call("GET", "/info")["dataDir"].endswith("/store-a")


def test_count_names_clusters_and_ports_follow_a_base_port(tmp_path: Path) -> None:
    settings = fleet_from_options(count=12, port=20000, password="pw")
    assert [c.name for c in settings.clusters][:2] == ["cluster-01", "cluster-02"]
    assert settings.clusters[-1].name == "cluster-12"
    assert [c.settings.port for c in settings.clusters][-1] == 20011
    assert {c.settings.password for c in settings.clusters} == {"pw"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "no clusters: give --clusters N, or --site with a clusters: list"),
        ({"count": 3, "port": 65534}, "--port 65534 leaves no room for 3 clusters"),
        ({"count": 0, "site_text": "clusters: [{name: Bad_Name}]\n"}, "a cluster needs a name"),
        ({"count": 2, "nodes": 9}, "--nodes 9 must be between 1 and 8"),
    ],
)
def test_bad_fleet_options_are_one_line_errors(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    text = options.pop("site_text", None)
    if text is not None:
        (tmp_path / "site.yaml").write_text(str(text))
        options["site"] = tmp_path / "site.yaml"
    with pytest.raises(ConfigError) as info:
        fleet_from_options(**options)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_the_fleet_program_writes_a_private_fleet_file_and_stops_on_sigterm(
    tmp_path: Path, site: Path
) -> None:
    fleet_file = tmp_path / "fleet.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fleetform.simulator.fleet",
            "--site",
            str(site),
            "--fleet-file",
            str(fleet_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not fleet_file.exists():
            assert process.poll() is None and time.monotonic() < deadline, (
                process.stdout and process.stdout.read()
            )
            time.sleep(0.05)
        assert fleet_file.stat().st_mode & 0o777 == 0o600
        data = json.loads(fleet_file.read_text())
        assert [c["name"] for c in data["clusters"]] == ["store-a", "store-b", "lab"]
        lab = data["clusters"][2]
        with HypercoreClient(lab["url"], lab["username"], lab["password"]) as client:
            assert [vm.name for vm in client.list_vms()] == ["tmpl-uefi"]
    finally:
        os.kill(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert output.splitlines()[0] == "fleetform simulator fleet: 3 clusters on 127.0.0.1"
    assert lab["url"] in output and lab["password"] in output
