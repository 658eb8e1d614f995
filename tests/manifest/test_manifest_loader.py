"""Loading manifests from files and directories: every error of every file, in one ManifestError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fleetform.errors import ManifestError
from fleetform.manifest.loader import load_manifest, load_manifests, parse_manifest
from fleetform.manifest.model import Application

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "manifests"
BAD = ROOT / "tests" / "fixtures" / "manifests" / "bad"

MINIMAL = """\
type: Application
version: "1.0.0"
metadata:
  name: {name}
spec:
  resources:
    - type: virdomain
      name: vm
      spec: {{cpu: 1, memory: 1GiB, machine_type: bios, state: running}}
"""


def test_load_manifests_reads_directory_sorted_yaml_and_yml(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text(MINIMAL.format(name="b"))
    (tmp_path / "a.yaml").write_text(MINIMAL.format(name="a"))
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert [lm.name for lm in load_manifests([tmp_path])] == ["a", "b"]


def test_load_manifests_reads_same_file_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINIMAL.format(name="a"))
    assert len(load_manifests([tmp_path, tmp_path / "a.yaml"])) == 1


def test_load_manifests_rejects_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifests([tmp_path / "nope.yaml"])
    assert info.value.issues[0].message == "no such file or directory"
    assert info.value.issues[0].location.path == str(tmp_path / "nope.yaml")


def test_load_manifests_rejects_directory_without_manifests(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no \*\.yaml or \*\.yml files"):
        load_manifests([tmp_path])


def test_load_manifests_reports_errors_of_every_file(tmp_path: Path) -> None:
    for name in ("zero-cpu.yaml", "tag-with-comma.yaml", "empty-file.yaml"):
        shutil.copy(BAD / name, tmp_path / name)
    shutil.copy(SEED / "microservices-stack.yaml", tmp_path)
    with pytest.raises(ManifestError) as info:
        load_manifests([tmp_path])
    files = {Path(i.location.path).name for i in info.value.issues}
    assert files == {"zero-cpu.yaml", "tag-with-comma.yaml", "empty-file.yaml"}


def test_load_manifests_rejects_two_applications_with_same_name_naming_both(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(MINIMAL.format(name="shop"))
    (tmp_path / "two.yaml").write_text(MINIMAL.format(name="shop"))
    with pytest.raises(ManifestError) as info:
        load_manifests([tmp_path])
    [issue] = info.value.issues
    assert issue.location == issue.location.__class__(str(tmp_path / "two.yaml"), 4, 9)
    assert f"also used by {tmp_path / 'one.yaml'}:4:9" in issue.message


def test_load_manifest_rejects_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ManifestError, match="not a UTF-8 text file"):
        load_manifest(path)


def test_parse_manifest_accepts_human_memory_and_optional_fields() -> None:
    lm = parse_manifest(MINIMAL.format(name="a"), "inline.yaml")
    vm = lm.vm("vm")
    assert vm.spec.memory == 1024**3
    assert vm.spec.description is None
    assert vm.spec.storage_devices == [] and vm.spec.tags == [] and vm.spec.cloud_init_data is None


def test_parse_manifest_warns_about_unused_asset() -> None:
    text = MINIMAL.format(name="a").replace(
        "spec:\n  resources:",
        "spec:\n  assets:\n    - {name: spare, type: virtual_disk, format: raw, url: 'https://x/y.img'}\n"
        "  resources:",
    )
    lm = parse_manifest(text, "inline.yaml")
    [warning] = lm.warnings
    assert warning.severity == "warning" and "asset 'spare' is not used" in warning.message
    assert warning.location.line == 7


def test_application_model_json_schema_documents_every_field() -> None:
    schema = Application.model_json_schema()
    for name, definition in schema["$defs"].items():
        for field, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"
    memory = schema["$defs"]["VmSpec"]["properties"]["memory"]
    assert {"type": "integer", "minimum": 1} in memory["anyOf"]


def test_locate_helpers_raise_key_error_for_unknown_names() -> None:
    lm = parse_manifest(MINIMAL.format(name="a"), "inline.yaml")
    with pytest.raises(KeyError):
        lm.locate_vm("nope")
    with pytest.raises(KeyError):
        lm.locate_disk("vm", "nope")
