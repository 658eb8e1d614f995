"""Shared test settings: quiet jsii, no telemetry, a terraform CLI config of our own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ["CHECKPOINT_DISABLE"] = "1"


@pytest.fixture
def root() -> Path:
    """The repository root."""
    return ROOT
