"""The synth cache: stacks whose inputs did not change are kept; cached or not, every stack file is the same bytes
and manifest.json the same data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleetform.synth.cache import code_fingerprint
from fleetform.synth.synthesize import SynthResult, synthesize

ROOT = Path(__file__).resolve().parents[2]
CLUSTERS = [
    {"name": "store-1", "host": "https://10.0.0.1", "selector": ["environment:production"]},
    {"name": "lab", "host": "https://10.0.0.2"},
]


def project(root: Path) -> tuple[Path, Path]:
    """The seed manifests on two clusters (three-tier-webapp on both, the others on lab only)."""
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    for path in (ROOT / "manifests").glob("*.yaml"):
        shutil.copy(path, manifests / path.name)
    site = yaml.safe_load((ROOT / "fleetform.yaml").read_text())
    site["clusters"] = CLUSTERS
    config = root / "fleetform.yaml"
    config.write_text(yaml.safe_dump(site, sort_keys=False))
    return manifests, config


def synth(manifests: Path, config: Path, outdir: Path, **options: object) -> SynthResult:
    return synthesize([manifests], config_path=config, outdir=outdir, **options)  # type: ignore[arg-type]


def files(outdir: Path) -> dict[str, object]:
    """Every file synth writes (the cache's own index left out): its bytes, manifest.json parsed (cdktf writes it
    when it wrote every stack, fleetform when some came from the cache)."""
    return {
        str(p.relative_to(outdir)): json.loads(p.read_text()) if p.name == "manifest.json" else p.read_bytes()
        for p in sorted(outdir.rglob("*"))
        if p.is_file() and ".fleetform" not in p.parts
    }


def test_cached_and_uncached_synth_write_byte_identical_files(tmp_path: Path) -> None:
    manifests, config = project(tmp_path)
    first = synth(manifests, config, tmp_path / "cached")
    again = synth(manifests, config, tmp_path / "cached")
    uncached = synth(manifests, config, tmp_path / "uncached", cache=False)
    assert first.reused == [] and uncached.reused == []
    assert again.reused == again.stacks == uncached.stacks
    assert len(again.stacks) == 4
    assert files(tmp_path / "cached") == files(tmp_path / "uncached")
    assert again.warnings == uncached.warnings == first.warnings


def test_one_changed_manifest_synthesizes_only_its_stacks_and_matches_an_uncached_synth(
    tmp_path: Path,
) -> None:
    manifests, config = project(tmp_path)
    synth(manifests, config, tmp_path / "cached")
    web = manifests / "three-tier-webapp.yaml"
    web.write_text(web.read_text().replace('memory: "2147483648"', 'memory: "4294967296"', 1))
    changed = synth(manifests, config, tmp_path / "cached")
    synth(manifests, config, tmp_path / "uncached", cache=False)
    assert sorted(set(changed.stacks) - set(changed.reused)) == [
        "three-tier-webapp--lab",
        "three-tier-webapp--store-1",
    ]
    assert files(tmp_path / "cached") == files(tmp_path / "uncached")
    vm = json.loads(changed.stack_file("three-tier-webapp--lab").read_text())["resource"]["hypercore_vm"]
    assert vm["web-tier-lb"]["memory"] == 4096


def test_a_removed_manifest_removes_its_stacks_and_manifest_json_matches(tmp_path: Path) -> None:
    manifests, config = project(tmp_path)
    synth(manifests, config, tmp_path / "cached")
    (manifests / "microservices-stack.yaml").unlink()
    result = synth(manifests, config, tmp_path / "cached")
    synth(manifests, config, tmp_path / "uncached", cache=False)
    assert result.reused == result.stacks
    assert not (tmp_path / "cached" / "stacks" / "microservices-stack--lab").exists()
    assert files(tmp_path / "cached") == files(tmp_path / "uncached")


def test_a_stack_file_edited_by_hand_is_synthesized_again(tmp_path: Path) -> None:
    manifests, config = project(tmp_path)
    result = synth(manifests, config, tmp_path / "out")
    edited = result.stack_file("mixed-os-enterprise--lab")
    original = edited.read_bytes()
    edited.write_text("{}")
    again = synth(manifests, config, tmp_path / "out")
    assert "mixed-os-enterprise--lab" not in again.reused
    assert edited.read_bytes() == original


def test_site_and_flags_are_part_of_the_key(tmp_path: Path) -> None:
    manifests, config = project(tmp_path)
    synth(manifests, config, tmp_path / "out")
    site = yaml.safe_load(config.read_text())
    site["clusters"][1]["networks"] = {"k8s-net": 61}  # lab only: microservices uses k8s-net
    config.write_text(yaml.safe_dump(site, sort_keys=False))
    result = synth(manifests, config, tmp_path / "out")
    assert sorted(set(result.stacks) - set(result.reused)) == ["microservices-stack--lab"]
    nics = json.loads(result.stack_file("microservices-stack--lab").read_text())["resource"]["hypercore_nic"]
    assert {nic["vlan"] for nic in nics.values()} == {61}
    loose = synth(manifests, config, tmp_path / "out", allow_data_loss=True)
    assert loose.reused == []


def test_when_every_stack_is_cached_cdktf_is_not_started(tmp_path: Path) -> None:
    manifests, config = project(tmp_path)
    synth(manifests, config, tmp_path / "out")
    script = (
        "import sys\n"
        "from fleetform.synth.synthesize import synthesize\n"
        f"result = synthesize([{str(manifests)!r}], config_path={str(config)!r}, outdir={str(tmp_path / 'out')!r})\n"
        "print(len(result.reused), len(result.stacks), 'cdktf' in sys.modules, 'jsii' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert run.stdout.split() == ["4", "4", "False", "False"]


def test_the_cache_can_be_turned_off_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifests, config = project(tmp_path)
    synth(manifests, config, tmp_path / "out")
    monkeypatch.setenv("FLEETFORM_SYNTH_CACHE", "off")
    assert synth(manifests, config, tmp_path / "out").reused == []


def test_a_site_that_selects_no_application_writes_an_empty_manifest(tmp_path: Path) -> None:
    manifests, config = project(tmp_path)
    site = yaml.safe_load(config.read_text())
    site["clusters"] = [{"name": "nowhere", "selector": ["environment:none"]}]
    config.write_text(yaml.safe_dump(site, sort_keys=False))
    result = synth(manifests, config, tmp_path / "out")
    assert result.stacks == []
    assert json.loads((tmp_path / "out" / "manifest.json").read_text()) == {"stacks": {}, "version": "0.21.0"}


def test_a_synth_of_some_manifests_can_leave_the_other_stacks_alone(tmp_path: Path) -> None:
    manifests, config = project(tmp_path)
    out = tmp_path / "out"
    everything = synth(manifests, config, out)
    (out / "stacks" / "microservices-stack--lab" / ".terraform").mkdir()  # a working directory in use
    one = [manifests / "three-tier-webapp.yaml"]
    kept = synthesize(one, config_path=config, outdir=out, prune=False)
    assert kept.stacks == ["three-tier-webapp--lab", "three-tier-webapp--store-1"]
    assert (out / "stacks" / "microservices-stack--lab" / ".terraform").is_dir()
    assert sorted(json.loads((out / "manifest.json").read_text())["stacks"]) == everything.stacks
    again = synth(manifests, config, out)
    assert again.reused == everything.stacks  # the kept stacks are still in the cache
    pruned = synthesize(one, config_path=config, outdir=out)
    assert sorted(p.name for p in (out / "stacks").iterdir()) == pruned.stacks


def test_the_code_fingerprint_covers_every_file_of_the_package(tmp_path: Path) -> None:
    """No hand-kept list: a change to any module, binding or data file of the package changes every key."""
    assert code_fingerprint() == code_fingerprint(ROOT / "fleetform")  # by default, the whole package
    package = tmp_path / "fleetform"
    shutil.copytree(ROOT / "fleetform", package, ignore=shutil.ignore_patterns("__pycache__"), symlinks=True)
    before = code_fingerprint(package)
    assert code_fingerprint(package) == before
    for changed in (
        "synth/translate.py",
        "constructs/_units.py",
        "providers/hypercore/vm.py",
        "manifest/model.py",
    ):
        path = package / changed
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        assert code_fingerprint(package) != before, changed
        path.write_bytes(original)
    (package / "providers" / "hypercore-provider-schema.json").write_text("{}")
    assert code_fingerprint(package) != before
    (package / "providers" / "hypercore-provider-schema.json").unlink()
    shutil.copy(ROOT / "fleetform/providers/hypercore-provider-schema.json", package / "providers")
    assert code_fingerprint(package) == before
    (package / "new_module.py").write_text("")
    assert code_fingerprint(package) != before
