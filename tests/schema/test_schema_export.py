"""The committed JSON Schemas are exactly what the models generate, in the shape editors need."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetform.cli import app
from fleetform.schema_export import DRAFT_07, SCHEMAS, application_schema, differs, dumps, site_schema

ROOT = Path(__file__).resolve().parents[2]


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in refs(item)]
    return []


def vm_spec(schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = schema["definitions"]["VmSpec"]["properties"]
    return properties


@pytest.mark.parametrize("key", sorted(SCHEMAS))
def test_committed_schema_equals_generated(key: str) -> None:
    schema_file = SCHEMAS[key]
    committed = (ROOT / schema_file.path).read_text(encoding="utf-8")
    assert committed == schema_file.text(), f"run `fleetform schema --all` and commit {schema_file.path}"


def test_schema_text_is_deterministic_with_trailing_newline() -> None:
    text = SCHEMAS["application"].text()
    assert text == SCHEMAS["application"].text()
    assert text.endswith("}\n")
    assert dumps(json.loads(text)) == text


def test_schema_is_draft_07_with_id_title_and_description() -> None:
    schema = application_schema()
    assert schema["$schema"] == DRAFT_07
    assert schema["$id"] == "urn:fleetform:schema:application"
    assert schema["title"].startswith("Fleet Manager Application manifest")
    assert "KiB MiB GiB TiB" in schema["description"]
    assert list(schema)[:3] == ["$schema", "$id", "title"]


def test_schema_refs_use_draft_07_definitions_and_resolve() -> None:
    for schema in (application_schema(), site_schema()):
        assert "$defs" not in json.dumps(schema)
        for ref in refs(schema):
            assert ref.startswith("#/definitions/")
            assert ref.removeprefix("#/definitions/") in schema["definitions"]


def test_schema_keeps_model_field_order_in_properties() -> None:
    schema = application_schema()
    assert list(schema["properties"]) == ["type", "version", "metadata", "spec", "x-fleetform"]
    assert list(vm_spec(schema))[:5] == ["description", "cpu", "memory", "machine_type", "state"]


def test_schema_offers_enums_for_machine_type_state_and_types() -> None:
    schema = application_schema()
    definitions = schema["definitions"]
    assert vm_spec(schema)["machine_type"]["enum"] == ["bios", "uefi", "tpm"]
    assert vm_spec(schema)["state"]["enum"] == ["running", "shutoff"]
    assert definitions["StorageDevice"]["properties"]["type"]["enum"] == ["virtio_disk", "ide_cdrom"]
    assert definitions["Asset"]["properties"]["format"]["enum"] == ["raw", "qcow2", "iso"]
    # Single-value literals keep const and gain an enum, so editors complete them.
    assert definitions["VirDomain"]["properties"]["type"]["enum"] == ["virdomain"]
    assert schema["properties"]["version"]["enum"] == ["1.0.0"]


def test_schema_sizes_accept_byte_integers_or_unit_strings() -> None:
    memory = vm_spec(application_schema())["memory"]
    integer, text = memory["anyOf"]
    assert integer == {"type": "integer", "minimum": 1}
    pattern = re.compile(text["pattern"])
    for good in ("2147483648", "10GiB", "500 GB", "1.5GiB", "8Gi", "64kib"):
        assert pattern.search(good), good
    for bad in ("10G", "512M", "ten", "10 gigabytes", ""):
        assert not pattern.search(bad), bad


def test_schema_descriptions_state_units_and_defaults() -> None:
    spec = vm_spec(application_schema())
    assert "bytes" in spec["memory"]["description"] and "MiB" in spec["memory"]["description"]
    capacity = application_schema()["definitions"]["StorageDevice"]["properties"]["capacity"]
    assert "`50GiB`" in capacity["description"]
    assert capacity["markdownDescription"] == capacity["description"]
    assert "title" not in spec["cpu"]


def test_site_schema_maps_networks_to_vlan_ids_and_machine_types_to_templates() -> None:
    properties = site_schema()["properties"]
    assert properties["networks"]["additionalProperties"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 4094,
    }
    assert properties["templates"]["propertyNames"] == {"enum": ["bios", "uefi", "tpm"]}


def test_differs_names_the_first_differing_line(tmp_path: Path) -> None:
    stale = tmp_path / "application.schema.json"
    text = SCHEMAS["application"].text()
    stale.write_text(text.replace('"cpu"', '"cpus"'), encoding="utf-8")
    message = differs(SCHEMAS["application"], stale)
    assert message is not None and "differs from the models from line" in message
    assert (
        differs(SCHEMAS["application"], tmp_path / "missing.json")
        == f"{tmp_path / 'missing.json'} does not exist"
    )


# --- the command -----------------------------------------------------------------------------------


def test_schema_command_check_passes_for_committed_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["schema", "--check", "--all"])
    assert result.exit_code == 0, result.output
    assert "ok: schema/application.schema.json is up to date" in result.output


def test_schema_command_check_exits_1_when_file_is_stale(tmp_path: Path) -> None:
    stale = tmp_path / "site.json"
    stale.write_text("{}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["schema", "--site", "--check", "--out", str(stale)])
    assert result.exit_code == 1
    assert f"run `fleetform schema --site --out {stale}`" in result.output


def test_schema_command_writes_generated_schema(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "application.schema.json"
    result = CliRunner().invoke(app, ["schema", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == SCHEMAS["application"].text()


def test_schema_command_out_dash_prints_schema() -> None:
    result = CliRunner().invoke(app, ["schema", "--site", "--out", "-"])
    assert result.exit_code == 0
    assert result.stdout == SCHEMAS["site"].text()


def test_schema_command_rejects_all_with_out() -> None:
    result = CliRunner().invoke(app, ["schema", "--all", "--out", "x.json"])
    assert result.exit_code == 2
