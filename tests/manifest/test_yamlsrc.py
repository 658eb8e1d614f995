"""YAML text -> data with positions; YAML problems and pydantic errors -> located Issues."""

from __future__ import annotations

from typing import Literal

import pydantic
import pytest

from fleetform.errors import InputError
from fleetform.yamlsrc import MAX_NODES, issues_from_validation_error, parse_yaml

TEXT = """\
name: web
spec:
  resources:
    - name: a
      memory: "4"
"""


def test_parse_yaml_keeps_plain_data() -> None:
    doc = parse_yaml(TEXT, "f.yaml")
    assert doc.data == {"name": "web", "spec": {"resources": [{"name": "a", "memory": "4"}]}}


def test_parse_yaml_records_value_and_key_locations() -> None:
    doc = parse_yaml(TEXT, "f.yaml")
    assert str(doc.locate(("spec", "resources", 0, "memory"))) == "f.yaml:5:15"
    assert str(doc.locate_key(("spec", "resources", 0, "memory"))) == "f.yaml:5:7"
    assert str(doc.locate(("spec", "resources", 0))) == "f.yaml:4:7"


def test_locate_falls_back_to_nearest_recorded_ancestor() -> None:
    doc = parse_yaml(TEXT, "f.yaml")
    assert doc.locate(("spec", "resources", 0, "cpu", "int")) == doc.locate(("spec", "resources", 0))
    assert doc.locate(("nothing",)) == doc.locate(())


def test_parse_yaml_rejects_duplicate_keys_naming_first_line() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    [issue] = info.value.issues
    assert (issue.location.line, issue.location.col) == (3, 1)
    assert "duplicate key 'a' (first at line 1)" in issue.message


def test_parse_yaml_keep_going_returns_duplicate_keys_as_issues() -> None:
    doc = parse_yaml("a: 1\na: 3\n", "f.yaml", keep_going=True)
    assert doc.data == {"a": 3}
    assert [i.location.line for i in doc.issues] == [2]


def test_parse_yaml_merge_key_overrides_are_not_duplicates() -> None:
    doc = parse_yaml("base: &b {cpu: 1, memory: 2}\nvm:\n  <<: *b\n  cpu: 4\n", "f.yaml")
    assert doc.data["vm"] == {"cpu": 4, "memory": 2}
    assert doc.locate(("vm", "cpu")).line == 4


def test_parse_yaml_rejects_empty_file() -> None:
    with pytest.raises(InputError, match="the file is empty"):
        parse_yaml("# only a comment\n", "f.yaml")


def test_parse_yaml_rejects_several_documents_at_second_one() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("a: 1\n---\nb: 2\n", "f.yaml")
    assert info.value.issues[0].location.line == 2
    assert "second YAML document" in info.value.issues[0].message


def test_parse_yaml_reports_unquoted_colon_in_plain_words() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("a:\n  b: c: d\n", "f.yaml")
    issue = info.value.issues[0]
    assert (issue.location.line, issue.location.col) == (2, 7)
    assert "a ':' here starts a new key" in issue.message
    assert "quote" in issue.hint


def test_parse_yaml_reports_unreadable_timestamp_at_its_value() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("a:\n  when: 2024-02-30\n", "f.yaml")
    issue = info.value.issues[0]
    assert (issue.location.line, issue.location.col) == (2, 9)
    assert "timestamp" in issue.message


def test_parse_yaml_rejects_alias_bomb() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(InputError, match=f"more than {MAX_NODES}"):
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")


def test_parse_yaml_rejects_recursive_alias() -> None:
    with pytest.raises(InputError, match="refers to a node that contains it"):
        parse_yaml("a: &x [1, *x]\n", "f.yaml")


def test_parse_yaml_rejects_python_tags() -> None:
    with pytest.raises(InputError, match="could not determine a constructor"):
        parse_yaml("a: !!python/object/apply:os.system [ls]\n", "f.yaml")


class Inner(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    memory: int = pydantic.Field(examples=["4294967296"])
    kind: Literal["small", "large"] = "small"


class Outer(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    items: list[Inner]


def validation_issues(text: str) -> list[str]:
    doc = parse_yaml(text, "f.yaml")
    with pytest.raises(pydantic.ValidationError) as info:
        Outer.model_validate(doc.data)
    return [str(i) for i in issues_from_validation_error(info.value, doc, Outer)]


def test_unknown_field_points_at_key_with_did_you_mean() -> None:
    [issue] = validation_issues("items:\n  - memory: 1\n    kinds: large\n")
    assert issue.startswith("f.yaml:3:5: error: unknown field 'kinds' in items[0]; did you mean 'kind'?")


def test_missing_field_points_at_parent_with_example() -> None:
    [issue] = validation_issues("items:\n  - kind: small\n")
    expected = "f.yaml:2:5: error: 'memory' is required in items[0] (add it, e.g. memory: \"4294967296\")"
    assert issue == expected


def test_bad_enum_lists_allowed_values() -> None:
    [issue] = validation_issues("items:\n  - memory: 1\n    kind: larg\n")
    assert "f.yaml:3:11: error: items[0].kind: \"larg\" is not allowed; did you mean 'large'?" in issue
    assert 'use one of: "small", "large"' in issue


def test_wrong_type_says_what_is_expected() -> None:
    [issue] = validation_issues("items: {memory: 1}\n")
    assert issue.startswith("f.yaml:1:8: error: items must be a list, not a mapping")
