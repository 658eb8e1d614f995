"""How a new project's Pipfile depends on fleetform: ``--fleetform SPEC`` and the detected default."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from fleetform import __version__
from fleetform.scaffold import ScaffoldError, requirement

ROOT = Path(__file__).resolve().parents[2]


def pipfile_value(req: requirement.Requirement) -> object:
    return tomllib.loads(f"fleetform = {req.pipfile}\n")["fleetform"]


def test_parse_version_pins_exactly_unless_an_operator_is_given() -> None:
    assert pipfile_value(requirement.parse("0.1.0")) == "==0.1.0"
    assert pipfile_value(requirement.parse("~=0.1")) == "~=0.1"
    assert requirement.parse("0.1.0").portable


def test_parse_git_url_with_ref() -> None:
    req = requirement.parse("git+https://git.example.com/ops/fleetform.git@v1.2")
    assert pipfile_value(req) == {"git": "https://git.example.com/ops/fleetform.git", "ref": "v1.2"}


def test_parse_git_ssh_url_user_is_not_a_ref() -> None:
    req = requirement.parse("git+ssh://git@git.example.com/ops/fleetform.git")
    assert pipfile_value(req) == {"git": "ssh://git@git.example.com/ops/fleetform.git"}


def test_parse_source_directory_is_an_editable_path_that_ci_cannot_reach() -> None:
    req = requirement.parse(str(ROOT))
    assert pipfile_value(req) == {"path": str(ROOT), "editable": True}
    assert not req.portable


def test_parse_wheel_file_is_a_path(tmp_path: Path) -> None:
    wheel = tmp_path / "fleetform-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    assert pipfile_value(requirement.parse(str(wheel))) == {"path": str(wheel)}


def test_parse_rejects_anything_else(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="neither a version"):
        requirement.parse(str(tmp_path))


def test_detect_in_a_checkout_is_the_checkout() -> None:
    assert requirement.checkout_root() == ROOT
    assert pipfile_value(requirement.detect()) == {"path": str(ROOT), "editable": True}


def test_detect_when_installed_from_a_git_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    record = {
        "url": "https://git.example.com/ops/fleetform.git",
        "vcs_info": {"vcs": "git", "commit_id": "abc123"},
    }
    installed(monkeypatch, json.dumps(record))
    assert pipfile_value(requirement.detect()) == {"git": record["url"], "ref": "abc123"}


def test_detect_when_installed_from_an_index_pins_this_version(monkeypatch: pytest.MonkeyPatch) -> None:
    installed(monkeypatch, None)
    assert pipfile_value(requirement.detect()) == f"=={__version__}"


def installed(monkeypatch: pytest.MonkeyPatch, direct_url: str | None) -> None:
    """Pretend fleetform runs from site-packages, installed with this ``direct_url.json`` (or none)."""

    class Distribution:
        def read_text(self, name: str) -> str | None:
            return direct_url if name == "direct_url.json" else None

    monkeypatch.setattr(requirement, "checkout_root", lambda: None)
    monkeypatch.setattr(requirement.metadata, "distribution", lambda name: Distribution())
