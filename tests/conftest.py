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


@pytest.fixture
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in provider installed in a filesystem mirror once per session; its Terraform CLI config."""
    from support.sandbox import install_mirror

    return install_mirror(tmp_path_factory.mktemp("provider"))
