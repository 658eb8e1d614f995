"""Mutated seed manifests either load or fail with located InputErrors; nothing else ever escapes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetform.errors import InputError
from fleetform.manifest.loader import parse_manifest
from fleetform.manifest.strict import strict_issues
from fleetform.site.config import load_config

ROOT = Path(__file__).resolve().parents[2]
SEEDS = {p.name: yaml.safe_load(p.read_text()) for p in sorted((ROOT / "manifests").glob("*.yaml"))}
SITE = load_config(ROOT / "fleetform.yaml")
PATH = "fuzz.yaml"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "0", "10G", "10GiB", "-1", "uefi", "ide_cdrom", "iso", "a,b", "1.0.0", "x" * 300]),
)
values = st.one_of(
    scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=8), scalars, max_size=3)
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def mutate(data: Any, draw: st.DataObject) -> Any:
    path = draw.draw(st.sampled_from(paths(data)[1:]))
    parent, last = parent_of(data, path), path[-1]
    action = draw.draw(st.sampled_from(["drop", "rename", "replace", "insert", "wrap", "unwrap"]))
    if action == "drop":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        new = draw.draw(st.one_of(st.text(max_size=10), st.just(str(last)[:-1]), st.just(str(last) + "s")))
        parent[new] = parent.pop(last)
    elif action == "insert" and isinstance(parent, dict):
        parent[draw.draw(st.text(max_size=10))] = draw.draw(values)
    elif action == "wrap":
        parent[last] = [parent[last]]
    elif action == "unwrap" and isinstance(parent[last], list | dict) and parent[last]:
        inner = parent[last]
        parent[last] = inner[0] if isinstance(inner, list) else next(iter(inner.values()))
    else:
        parent[last] = draw.draw(values)
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_seed_manifest_loads_or_raises_located_input_error(data: st.DataObject) -> None:
    manifest = copy.deepcopy(SEEDS[data.draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        manifest = mutate(manifest, data)
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    if data.draw(st.booleans()):  # sometimes break the YAML itself
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        junk = data.draw(st.text(alphabet=":-[]{}\t'\"#&*!|>%@` \n,?", min_size=1, max_size=3))
        text = text[:at] + junk + text[at:]
    try:
        lm = parse_manifest(text, PATH)
    except InputError as exc:
        assert exc.issues
        lines = text.count("\n") + 2
        for issue in exc.issues:
            assert issue.location.path == PATH
            assert 1 <= issue.location.line <= lines, str(issue)
            assert issue.message
        return
    for issue in [*SITE.check(lm), *strict_issues(lm), *lm.warnings]:
        assert issue.location.path == PATH and issue.location.line >= 1
