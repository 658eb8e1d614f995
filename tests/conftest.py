"""Shared test settings: quiet jsii, no telemetry, a terraform CLI config of our own."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ["CHECKPOINT_DISABLE"] = "1"
# Shared test helpers (tests/support) import as `support.<module>`.
sys.path.insert(0, str(ROOT / "tests"))


E2E_DIRS = ("e2e", "scenarios")
# Modules whose every test starts the cdktf CLI (Node) or a long chain of Terraform runs.
SLOW_MODULES = (
    "scenarios",
    "test_cdktf_cli.py",
    "test_library_example.py",
    "test_demo.py",
    "test_faults_and_concurrency.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that runs real Terraform against the simulator ``e2e``, wherever it lives: the ones in
    tests/e2e and tests/scenarios, the ``*_e2e.py`` modules, and any test that uses the stand-in provider's
    mirror (``cli_config``). ``-m "not e2e"`` is then the unit layer, whatever a new test forgets to say. The
    modules in ``SLOW_MODULES`` are also ``slow``, so ``-m "not slow"`` is the quick pass before a commit."""
    for item in items:
        path = Path(str(item.fspath)).relative_to(ROOT / "tests")
        if (
            path.parts[0] in E2E_DIRS
            or path.stem.endswith("_e2e")
            or "cli_config" in getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.e2e)
        if path.parts[0] in SLOW_MODULES or path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in provider installed in a filesystem mirror once per session; its Terraform CLI config."""
    from support.sandbox import install_mirror

    return install_mirror(tmp_path_factory.mktemp("provider"))
