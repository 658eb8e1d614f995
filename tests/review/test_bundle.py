"""The plan directory: one or several (CI matrix jobs) read as one bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
from planfactory import PRIOR, plan_json, rc, vm, write_bundle

from fleetform.review import BundleError, load_bundle
from fleetform.review.bundle import resolve_workdir


def one(name: str) -> dict[str, dict[str, object]]:
    return {name: plan_json([rc("hypercore_vm.web", ["update"], vm(), vm(vcpu=4))], PRIOR)}


def test_a_directory_of_plan_directories_is_one_bundle(tmp_path: Path) -> None:
    write_bundle(tmp_path / "all" / "plans-0", one("a"))
    write_bundle(tmp_path / "all" / "plans-1", one("b"))
    bundle = load_bundle([tmp_path / "all"])
    assert [s.name for s in bundle.stacks] == ["a", "b"]
    assert all(s.plan is not None for s in bundle.stacks)


def test_the_same_stack_in_two_plan_directories_is_an_error(tmp_path: Path) -> None:
    write_bundle(tmp_path / "p0", one("a"))
    write_bundle(tmp_path / "p1", one("a"))
    with pytest.raises(BundleError, match="stack 'a' is in two plan directories"):
        load_bundle([tmp_path / "p0", tmp_path / "p1"])


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="is not a directory"):
        load_bundle([tmp_path / "nope"])


def test_an_index_of_another_format_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(BundleError, match="not a fleetform plan index"):
        load_bundle([tmp_path])


def test_an_empty_directory_is_an_empty_bundle(tmp_path: Path) -> None:
    assert load_bundle([tmp_path]).stacks == []


def test_a_plan_json_that_is_not_a_plan_is_an_error(tmp_path: Path) -> None:
    directory = write_bundle(tmp_path / "plans", one("a"))
    (directory / "a" / "plan.json").write_text('{"values": {}}')
    with pytest.raises(BundleError, match="not a Terraform JSON plan"):
        load_bundle([directory])


def test_relative_working_directories_resolve_from_where_apply_runs(tmp_path: Path) -> None:
    directory = write_bundle(tmp_path / "plans", one("a"))
    stack = load_bundle([directory]).stacks[0]
    here = tmp_path / "checkout"
    (here / "cdktf.out" / "stacks" / "a").mkdir(parents=True)
    assert resolve_workdir(stack.index, stack.entry, cwd=here) == here / "cdktf.out" / "stacks" / "a"
