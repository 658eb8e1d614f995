"""Fixtures of the day-2 scenarios: the seed, deployed once per session, and a fresh copy of it per scenario
(helpers and the rules every scenario ends with: :mod:`support.scenes`)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sandbox import TEMPLATES, Sandbox
from support.scenes import ALPHA, BETA, SEED_VMS, Scene, Seed, inventory, run_fleetform

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import run_in_thread


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Seed:
    """Deploy the seed once per session with fleetform, and keep a pristine copy of it."""
    root = tmp_path_factory.mktemp("seed")
    work = root / "work"
    started = time.perf_counter()
    with run_in_thread(templates=TEMPLATES, data_dir=work / "simulator") as sim:
        box = Sandbox(work / "project", sim, cli_config)
        box.write_manifest("alpha", ALPHA)
        box.write_manifest("beta", BETA)
        deployed = run_fleetform(box.root, box.env(), ["deploy", "--auto-approve"])
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        with HypercoreClient(sim.url, sim.username, sim.password) as client:
            vms = inventory(client)
    assert set(SEED_VMS) <= set(vms) and vms["batch"]["state"] == "SHUTOFF"
    shutil.copytree(work, root / "pristine", symlinks=True)
    return Seed(root, vms, time.perf_counter() - started)


@pytest.fixture
def scene(seed: Seed, cli_config: Path) -> Iterator[Scene]:
    """The deployed seed restored in place (the same paths: the image mirror's absolute paths stay what was
    deployed), served by a simulator of its own."""
    work = seed.root / "work"
    shutil.rmtree(work)
    shutil.copytree(seed.root / "pristine", work, symlinks=True)
    with run_in_thread(templates=TEMPLATES, data_dir=work / "simulator") as sim:
        # Sandbox writes the same fleetform.yaml again (the seed's images are there already).
        yield Scene(work / "project", sim, Sandbox(work / "project", sim, cli_config), seed)
