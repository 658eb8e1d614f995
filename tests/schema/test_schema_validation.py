"""The committed schemas, run through a real JSON Schema validator, accept the seed and reject bad manifests.

The only test module that needs ``jsonschema``, a dev dependency (Pipfile ``[dev-packages]``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetform.manifest.model import Application

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "manifests").glob("*.yaml"))
GOOD_FIXTURES = sorted((ROOT / "tests/fixtures/manifests/good").glob("*.yaml"))


def validator(name: str) -> Any:
    schema = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


APPLICATION = validator("application.schema.json")
SITE = validator("fleetform.schema.json")
THREE_TIER = yaml.safe_load((ROOT / "manifests/three-tier-webapp.yaml").read_text(encoding="utf-8"))


def errors(schema: Any, data: Any) -> list[str]:
    return [error.message for error in schema.iter_errors(data)]


def three_tier_with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(THREE_TIER)
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("path", SEEDS + GOOD_FIXTURES, ids=lambda p: p.name)
def test_schema_accepts_seed_and_good_manifests(path: Path) -> None:
    assert errors(APPLICATION, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_site_schema_accepts_fleetform_yaml() -> None:
    assert errors(SITE, yaml.safe_load((ROOT / "fleetform.yaml").read_text(encoding="utf-8"))) == []


VM = ("spec", "resources", 0, "spec")
DISK = (*VM, "storage_devices", 0)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ((*VM, "cpu"), "two", "'two' is not of type 'integer'"),
        ((*VM, "machine_type"), "arm", "'arm' is not one of ['bios', 'uefi', 'tpm']"),
        ((*VM, "state"), "on", "'on' is not one of ['running', 'shutoff']"),
        ((*VM, "memory"), "8G", "is not valid under any of the given schemas"),
        ((*VM, "cpus"), 2, "Additional properties are not allowed ('cpus' was unexpected)"),
        ((*DISK, "type"), "scsi", "'scsi' is not one of ['virtio_disk', 'ide_cdrom']"),
        ((*DISK, "capacity"), 0, "is not valid under any of the given schemas"),
        ((*DISK, "boot"), 0, "is not valid under any of the given schemas"),
        (("spec", "resources", 0, "type"), "vm", "'virdomain' was expected"),
        (("version",), 1.0, "'1.0.0' was expected"),
        (("spec", "resources"), [], "[] should be non-empty"),
    ],
    ids=lambda v: str(v) if not isinstance(v, tuple) else "/".join(map(str, v)),
)
def test_schema_rejects_bad_manifest(path: tuple[Any, ...], value: Any, expected: str) -> None:
    found = errors(APPLICATION, three_tier_with(path, value))
    assert any(expected in message for message in found), found


def test_schema_rejects_manifest_without_metadata_name() -> None:
    data = copy.deepcopy(THREE_TIER)
    del data["metadata"]["name"]
    assert errors(APPLICATION, data) == ["'name' is a required property"]


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ({"networks": {"web-net": 5000}}, "5000 is greater than the maximum of 4094"),
        ({"templates": {"arm": "template-arm"}}, "'arm' is not one of ['bios', 'uefi', 'tpm']"),
        ({"state": {"backend": "s3"}}, "'s3' is not one of ['local', 'pg']"),
        ({"vlans": {}}, "Additional properties are not allowed ('vlans' was unexpected)"),
    ],
)
def test_site_schema_rejects_bad_site_config(site: dict[str, Any], expected: str) -> None:
    found = errors(SITE, site)
    assert any(expected in message for message in found), found


# --- the editor never flags what fleetform accepts -------------------------------------------------

LEAVES = [
    (*VM, "cpu"),
    (*VM, "memory"),
    (*VM, "machine_type"),
    (*VM, "state"),
    (*VM, "description"),
    (*DISK, "capacity"),
    (*DISK, "boot"),
    (*DISK, "type"),
    (*DISK, "source"),
    (*VM, "network_devices", 0, "type"),
    ("metadata", "name"),
    ("version",),
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        ["0", "10G", "10GiB", " 4 GiB ", "1.5GiB", "1.0.0", "uefi", "shutoff", "ide_cdrom", "virtio"]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(LEAVES), value=VALUES)
def test_schema_accepts_every_value_the_model_accepts(path: tuple[Any, ...], value: Any) -> None:
    data = three_tier_with(path, value)
    try:
        Application.model_validate(data)
    except pydantic.ValidationError:
        return  # the schema may reject it too, or leave it to `fleetform validate`
    assert errors(APPLICATION, data) == []
