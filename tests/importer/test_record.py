"""The imports file (fleetform.importer.record): where it lives, what it holds, how a bad one is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetform.errors import InputError
from fleetform.importer.record import ImportRecord, imports_path, read_record


def test_imports_file_sits_next_to_the_manifest_with_its_stem() -> None:
    assert imports_path(Path("manifests/legacy.yaml")) == Path("manifests/legacy.imports.json")


def test_record_round_trips_through_its_json(tmp_path: Path) -> None:
    record = ImportRecord(
        application="legacy", cluster="store-1", imports={"hypercore_vm.b": "2", "hypercore_vm.a": "1"}
    )
    path = tmp_path / "legacy.imports.json"
    path.write_text(record.to_json())
    assert read_record(path) == record
    assert list(json.loads(path.read_text())["imports"]) == ["hypercore_vm.a", "hypercore_vm.b"]


def test_missing_imports_file_is_no_record(tmp_path: Path) -> None:
    assert read_record(tmp_path / "none.imports.json") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"version": 2, "imports": {}}', "unsupported version 2"),
        ('{"version": 1, "imports": {"vm.x": "1"}}', "not a hypercore resource address"),
        ('{"version": 1, "imports": {"hypercore_vm.x": ""}}', "must be a non-empty string"),
        ('{"version": 1, "imports": {}, "extra": 1}', "unknown key"),
    ],
)
def test_invalid_imports_file_is_an_input_error_at_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.imports.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_record(path)
    assert caught.value.issues[0].location.path == str(path)
    assert message in str(caught.value)
