"""Every fixture under tests/fixtures/manifests: good ones load cleanly, bad ones report exactly their errors.

A bad fixture starts with one ``# expect: LINE:COL: text`` comment per error it must produce; ``text`` is a
part of the error's message. Errors come from loading the file or, for a file that loads, from checking it
against the demo fleetform.yaml.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fleetform.errors import InputError, Issue
from fleetform.manifest.loader import load_manifest
from fleetform.site.config import SiteConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "manifests"
EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_config(ROOT / "fleetform.yaml")


def errors_of(path: Path, site: SiteConfig) -> list[Issue]:
    try:
        lm = load_manifest(path)
    except InputError as exc:
        return [i for i in exc.issues if i.is_error]
    return [i for i in site.check(lm) if i.is_error]


def expectations(path: Path) -> list[tuple[int, int, str]]:
    found = []
    for line in path.read_text().splitlines():
        match = EXPECT.fullmatch(line)
        if match is None:
            break
        found.append((int(match[1]), int(match[2]), match[3]))
    return found


BAD = sorted((FIXTURES / "bad").glob("*.yaml"))
GOOD = sorted((FIXTURES / "good").glob("*.yaml"))


def test_bad_fixtures_are_many_and_all_have_expectations() -> None:
    assert len(BAD) >= 25
    assert all(expectations(path) for path in BAD)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_manifest_reports_expected_errors_at_their_lines(path: Path, site: SiteConfig) -> None:
    errors = errors_of(path, site)
    got = [(e.location.line, e.location.col, e.message) for e in errors]
    for line, col, text in expectations(path):
        assert any((line, col) == (gl, gc) and text in message for gl, gc, message in got), (
            f"expected {line}:{col}: {text}\ngot:\n" + "\n".join(str(e) for e in errors)
        )
    assert len(errors) == len(expectations(path)), "\n".join(str(e) for e in errors)
    assert all(e.location.path == str(path) for e in errors)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_manifest_loads_without_errors_or_warnings(path: Path, site: SiteConfig) -> None:
    lm = load_manifest(path)
    assert site.check(lm) == []
    assert lm.warnings == []
