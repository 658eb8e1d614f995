"""``fleetform apply`` and ``fleetform drift`` keep the status records; with the pg backend they are a table in the
backend's database, read by ``fleetform status``."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.postgres import Postgres, running_postgres
from support.sandbox import TEMPLATES, Sandbox

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import run_in_thread

pytestmark = pytest.mark.e2e
FLEETFORM = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "fleetform")
APP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: {cpu}
        memory: 1GiB
        machine_type: uefi
        state: running
        network_devices:
          - {{name: web-net, type: virtio}}
"""


@pytest.fixture
def box(tmp_path: Path, cli_config: Path) -> Iterator[Sandbox]:
    with running_postgres() as postgres, run_in_thread(templates=TEMPLATES) as sim:
        sandbox = Sandbox(tmp_path / "project", sim, cli_config, site_extra={"state": {"backend": "pg"}})
        sandbox.extra_env = {"PG_CONN_STR": postgres.conn_str}
        sandbox.postgres = postgres  # type: ignore[attr-defined]
        for args in (["init", "-q"], ["config", "user.email", "t@example.com"], ["config", "user.name", "t"]):
            git(sandbox, *args)
        yield sandbox


def git(box: Sandbox, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=box.root, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit(box: Sandbox, cpu: int) -> str:
    box.write_manifest("shop", APP.format(cpu=cpu))
    git(box, "add", "-A")
    git(box, "commit", "-qm", f"cpu {cpu}")
    return git(box, "rev-parse", "HEAD")


def fleetform(box: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FLEETFORM, *args], cwd=box.root, env=box.env(), capture_output=True, text=True)


def status(box: Sandbox) -> dict[str, Any]:
    done = fleetform(box, "status", "--format", "json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)["stacks"]
    return dict(row)


def test_apply_and_drift_keep_the_records_in_the_pg_database(box: Sandbox) -> None:
    postgres: Postgres = box.postgres  # type: ignore[attr-defined]
    first = commit(box, 1)
    assert status(box)["result"] == "pending"
    assert fleetform(box, "plan").returncode == 0
    done = fleetform(box, "apply", "plans")
    assert done.returncode == 0, done.stderr
    row = status(box)
    assert (row["result"], row["revision"], row["cluster"]) == ("applied", first, "default")
    table = subprocess.run(
        [
            "psql",
            postgres.conn_str,
            "-At",
            "-c",
            "select stack, result, revision from public.fleetform_status",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert table == [f"shop|applied|{first}"]

    # A failed apply keeps the revision the cluster still runs, and says what was attempted.
    second = commit(box, 2)
    assert fleetform(box, "plan").returncode == 0
    box.simulator.admin.add_fault("task_error", times=5)
    assert fleetform(box, "apply", "plans").returncode == 1
    box.simulator.admin.clear_faults()
    row = status(box)
    assert (row["result"], row["revision"], row["attempted"]) == ("failed", first, second)

    # Drift: memory changed in the HyperCore UI.
    with HypercoreClient(box.simulator.url, box.simulator.username, box.simulator.password) as client:
        [web] = [vm for vm in client.list_vms() if vm.name == "web"]
        client.wait_task(client.patch(f"/rest/v1/VirDomain/{web.uuid}", {"mem": 2 * 1024**3}))
    assert fleetform(box, "drift").returncode == 2
    row = status(box)
    assert row["result"] == "drifted" and "changed outside fleetform" in row["message"]
