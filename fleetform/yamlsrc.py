"""YAML text -> plain data plus the position of every node; pydantic errors -> located, plain-words Issues.

Used for manifests and for ``fleetform.yaml``. A node path is the tuple of mapping keys and list indexes that
leads to a node, e.g. ``("spec", "resources", 0, "spec", "memory")``: the same shape as a pydantic error's
``loc``, so a validation error finds its line without any translation.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic
import yaml
from pydantic_core import PydanticCustomError

from fleetform.errors import InputError, Issue, Location

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

NodePath = tuple[Any, ...]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
# Aliases let a small file expand into a huge tree ("billion laughs"); nothing legitimate comes close.
MAX_NODES = 2_000_000
CUSTOM_ERROR = "fleetform"


@dataclass
class YamlDocument:
    """One parsed YAML file: its plain data and where each node sits in the text."""

    path: str
    data: Any
    values: dict[NodePath, Location] = field(default_factory=dict)  # where each value starts
    keys: dict[NodePath, Location] = field(default_factory=dict)  # where the key of each mapping value is
    issues: list[Issue] = field(default_factory=list)  # duplicate keys, when parsed with keep_going=True
    blocks: set[NodePath] = field(default_factory=set)  # block scalars (| or >): text starts a line below

    def text_line(self, path: Sequence[Any], line_in_text: int) -> Location:
        """Where line ``line_in_text`` (1-based) of the string at ``path`` is; its start if not a block."""
        start = self.locate(path)
        if tuple(path) in self.blocks:
            return Location(start.path, start.line + line_in_text, 1)
        return start

    def locate(self, path: Sequence[Any]) -> Location:
        """The location of the value at ``path``, or of its nearest recorded ancestor."""
        path = tuple(path)
        for end in range(len(path), -1, -1):
            location = self.values.get(path[:end])
            if location is not None:
                return location
        return Location(self.path, 1, 1)

    def locate_key(self, path: Sequence[Any]) -> Location:
        """The location of the key holding the value at ``path`` (a list item: the item itself)."""
        return self.keys.get(tuple(path)) or self.locate(path)


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` if one is close enough to be a likely typo."""
    if not isinstance(word, str):
        return None
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not matches:
        folded = {c.lower(): c for c in choices}
        return folded.get(word.lower())
    return matches[0]


def field_error(message: str, hint: str = "") -> PydanticCustomError:
    """An error for a pydantic validator to raise; its message and hint reach the Issue unchanged."""
    return PydanticCustomError(CUSTOM_ERROR, "{message}", {"message": message, "hint": hint})


# --- parsing -----------------------------------------------------------------------------------


def parse_yaml(text: str, path: str, *, keep_going: bool = False) -> YamlDocument:
    """Parse one YAML document, keeping positions. Raises InputError for anything that is not one document.

    Duplicate mapping keys are errors; with ``keep_going`` they are returned in ``doc.issues`` instead (the
    last value wins, as in PyYAML) so that a caller can report them together with validation errors.
    """
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise InputError([_syntax_issue(exc, text, path)]) from None
        if node is None:
            raise InputError(
                [
                    Issue(
                        Location(path, 1, 1),
                        "the file is empty (or holds only comments)",
                        "write the document, or remove the file",
                    )
                ]
            )
        builder = _Builder(loader, path)
        try:
            data = builder.build(node, ())
        except yaml.YAMLError as exc:
            raise InputError([_syntax_issue(exc, text, path)]) from None
        except RecursionError:
            raise InputError(
                [Issue(Location(path, 1, 1), "the document is nested too deeply to read")]
            ) from None
    finally:
        loader.dispose()
    if builder.issues and not keep_going:
        raise InputError(builder.issues)
    return YamlDocument(path, data, builder.values, builder.keys, builder.issues, builder.blocks)


class _Builder:
    """Builds plain data from a composed node tree, recording positions and duplicate keys on the way.

    Scalars go through PyYAML's safe constructor (so ``yes``, ``1_000``, dates... mean what they always mean);
    mappings and lists are built here so that every node's position is known.
    """

    def __init__(self, loader: Any, path: str) -> None:
        self.loader = loader
        self.path = path
        self.values: dict[NodePath, Location] = {}
        self.keys: dict[NodePath, Location] = {}
        self.issues: list[Issue] = []
        self.blocks: set[NodePath] = set()
        self.built: dict[int, Any] = {}  # id(node) -> data, for nodes reached again through an alias
        self.sizes: dict[int, int] = {}  # id(node) -> values under it, counting what aliases repeat
        self.in_progress: set[int] = set()
        self.count = 0

    def location(self, mark: Any) -> Location:
        return Location(self.path, mark.line + 1, mark.column + 1)

    def fail(self, node: yaml.Node, message: str, hint: str = "") -> InputError:
        return InputError([Issue(self.location(node.start_mark), message, hint)])

    def build(self, node: yaml.Node, path: NodePath) -> Any:
        if id(node) in self.in_progress:
            raise self.fail(node, "an alias (*name) refers to a node that contains it", "remove the loop")
        if id(node) in self.built:  # an alias: share the data, keep the first position
            self.tally(node, self.sizes[id(node)])
            return self.built[id(node)]
        self.tally(node, 1)
        self.values[path] = self.location(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">"):
                self.blocks.add(path)
            return self.scalar(node)
        before = self.count
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            data: Any = self.mapping(node, path)
        elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            data = self.sequence(node, path)
        else:
            return self.construct(node)  # a tagged collection such as !!set or !!omap
        self.sizes[id(node)] = self.count - before + 1
        return data

    def tally(self, node: yaml.Node, size: int) -> None:
        self.count += size
        if self.count > MAX_NODES:
            raise self.fail(node, f"the document expands to more than {MAX_NODES} values through aliases")

    def construct(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError) as exc:
            message = f"cannot read this {node.tag.rsplit(':', 1)[-1]} value: {exc}"
            raise self.fail(node, message, "quote it to keep it as text") from None

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        return self.construct(node)

    def sequence(self, node: yaml.SequenceNode, path: NodePath) -> list[Any]:
        result: list[Any] = []
        self.built[id(node)] = result
        self.in_progress.add(id(node))
        for index, item in enumerate(node.value):
            result.append(self.build(item, (*path, index)))
        self.in_progress.discard(id(node))
        return result

    def mapping(self, node: yaml.MappingNode, path: NodePath) -> dict[Any, Any]:
        explicit = sum(1 for key, _ in node.value if key.tag != _MERGE)
        if explicit != len(node.value):
            self.loader.flatten_mapping(node)  # merged pairs first, then the explicit ones, which win
        merged = len(node.value) - explicit
        result: dict[Any, Any] = {}
        self.built[id(node)] = result
        self.in_progress.add(id(node))
        first_seen: dict[Any, yaml.Node] = {}
        for position, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a mapping key must be a plain value, not a list or mapping")
            key = self.scalar(key_node)
            try:
                hash(key)
            except TypeError:
                raise self.fail(key_node, "this mapping key cannot be used as a key") from None
            if position >= merged:
                first = first_seen.get(key)
                if first is not None:
                    self.issues.append(
                        Issue(
                            self.location(key_node.start_mark),
                            f"duplicate key '{key}' (first at line {first.start_mark.line + 1}); "
                            "YAML would silently keep only the last one",
                            "remove one of them or rename it",
                        )
                    )
                else:
                    first_seen[key] = key_node
            self.keys[(*path, key)] = self.location(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        self.in_progress.discard(id(node))
        return result


# PyYAML's problem text -> (plain words, hint). Matched by prefix.
_SYNTAX_WORDS: list[tuple[str, str, str]] = [
    (
        "mapping values are not allowed",
        "a ':' here starts a new key where a value was expected",
        "quote a value that contains ': ', or fix the indentation",
    ),
    (
        "could not find expected ':'",
        "a line here is not a 'key: value' pair",
        "add the missing ':' or fix the indentation",
    ),
    (
        "did not find expected key",
        "this line is not indented like the keys around it",
        "line up the keys of one mapping in the same column",
    ),
    (
        "did not find expected '-' indicator",
        "this line is not indented like the list items above it",
        "line up the '- ' of every item in the same column",
    ),
    (
        "expected <block end>",
        "this line is indented so that it belongs to no block",
        "line it up with the keys or list items it belongs with",
    ),
    (
        "found undefined alias",
        "an alias (*name) refers to an anchor that is not defined",
        "define &name first",
    ),
    (
        "found unexpected end of stream",
        "the file ends inside a quoted string or a bracket",
        "close the quote or the bracket",
    ),
    ("did not find expected ',' or ']'", "a '[' list is not closed", "close it with ']'"),
    ("did not find expected ',' or '}'", "a '{' mapping is not closed", "close it with '}'"),
    ("found unknown escape character", "an unknown escape in a double-quoted string", "use single quotes"),
]
# A value that opens a quote and does not close it on its line: `key: "text`, `- 'text`.
_OPEN_QUOTE = re.compile(r"""^\s*(?:-\s+)?(?:[^\s:#'"][^:#]*:\s+)?(["'])(?P<rest>.*)$""")


def _unclosed_quote(text: str, before_line: int) -> tuple[int, int] | None:
    """The last line (0-based) before ``before_line`` where a value opens a quote that its line does not close,
    with the quote's column; None when there is none."""
    lines = text.splitlines()
    for number in range(min(before_line, len(lines) - 1), -1, -1):
        match = _OPEN_QUOTE.match(lines[number])
        if match is None:
            continue
        quote, rest = match.group(1), match.group("rest")
        closed = (
            quote in rest.replace("''", "")
            if quote == "'"
            else re.search(r'(?<!\\)"', rest.replace("\\\\", "")) is not None
        )
        if not closed:
            return number, match.start(1)
    return None


def _syntax_issue(exc: yaml.YAMLError, text: str, path: str) -> Issue:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return Issue(Location(path, 1, 1), f"invalid YAML: {exc}")
    mark = exc.problem_mark or exc.context_mark
    location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
    problem = exc.problem or exc.context or "cannot be read"
    if problem.startswith("but found another document"):
        return Issue(
            location,
            "a second YAML document starts here; a file holds exactly one",
            "put each application in its own file: move this '---' and what follows elsewhere",
        )
    if problem.startswith("found character that cannot start any token") and mark is not None:
        lines = text.splitlines()
        line = lines[mark.line] if mark.line < len(lines) else ""
        char = line[mark.column] if mark.column < len(line) else ""
        if char == "\t":
            return Issue(
                location, "a tab character; YAML indents with spaces only", "replace the tab with spaces"
            )
        return Issue(location, f"the character {char!r} cannot start a value", "quote the value")
    if problem.startswith("found a tab character"):
        return Issue(
            location, "a tab character; YAML indents with spaces only", "replace the tab with spaces"
        )
    opened = _unclosed_quote(text, mark.line) if mark is not None else None
    if opened is not None and mark is not None and (opened[0] < mark.line or "end of stream" in problem):
        start, column = opened
        where = (
            "to the end of the file"
            if "end of stream" in problem
            else f"to the next quote and fails at line {mark.line + 1}"
        )
        return Issue(
            Location(path, start + 1, column + 1),
            f"a quoted string starts here and is not closed on this line (YAML reads on {where})",
            "close the quote on this line",
        )
    words, hint = next(
        ((w, h) for prefix, w, h in _SYNTAX_WORDS if problem.startswith(prefix)),
        (f"YAML syntax error: {problem}", ""),
    )
    context = exc.context_mark
    # Where a flow collection or quoted string began helps; where the enclosing block began does not.
    informative = exc.context is not None and "block" not in exc.context
    if informative and context and exc.problem_mark and context.line != exc.problem_mark.line:
        words += f" ({exc.context} at line {context.line + 1})"
    return Issue(location, f"invalid YAML: {words}", hint)


# --- validation errors ---------------------------------------------------------------------------

_KINDS = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
}


def format_path(loc: Sequence[Any]) -> str:
    """``("spec", "resources", 0, "spec")`` -> ``spec.resources[0].spec``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "the top level"


def describe(value: Any) -> str:
    """A short, YAML-flavoured description of a value a user wrote."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return f"the text {text if len(text) <= 60 else text[:57] + '...'}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _yaml_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)


def _wire_names(model: Any) -> list[str]:
    """A model's field names as they are written in YAML (the alias, where a field has one)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_field(model: Any, name: str) -> pydantic.fields.FieldInfo | None:
    """The field written as ``name`` in YAML (by alias first, as errors name it)."""
    for field_name, info in model.model_fields.items():
        if (info.alias or field_name) == name:
            return info
    return None


def _annotation_at(model: Any, loc: Sequence[Any]) -> Any:
    """The type annotation at ``loc`` inside ``model`` (None when the path leaves the model)."""
    annotation = model
    for part in loc:
        annotation = _unwrap(annotation)
        if _is_model(annotation):
            info = _model_field(annotation, part) if isinstance(part, str) else None
            if info is None:
                return None
            annotation = info.annotation
        elif typing.get_origin(annotation) is list and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return None
    return _unwrap(annotation)


def _field_at(model: Any, loc: Sequence[Any]) -> pydantic.fields.FieldInfo | None:
    if not loc or model is None:
        return None
    parent = _annotation_at(model, loc[:-1])
    return _model_field(parent, loc[-1]) if _is_model(parent) else None


def _allowed(model: Any, loc: Sequence[Any], error: Any) -> list[str]:
    if loc and loc[-1] == "[key]":
        mapping = _annotation_at(model, loc[:-2])
        annotation = _unwrap(typing.get_args(mapping)[0]) if typing.get_origin(mapping) is dict else None
    else:
        annotation = _annotation_at(model, loc) if model is not None else None
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip(" '")]


def issues_from_validation_error(
    exc: pydantic.ValidationError, doc: YamlDocument, model: type[pydantic.BaseModel] | None = None
) -> list[Issue]:
    """One Issue per pydantic error, at the line of the offending key or value, in plain words with a fix.

    ``model`` (the validated class) lets unknown fields get a did-you-mean and missing fields an example.
    """
    return [_issue(error, doc, model) for error in exc.errors(include_url=False)]


def _issue(error: Any, doc: YamlDocument, model: type[pydantic.BaseModel] | None) -> Issue:
    kind: str = error["type"]
    raw_loc = tuple(error["loc"])
    loc = tuple(p for p in raw_loc if p != "[key]")
    value = error.get("input")
    ctx = error.get("ctx") or {}
    where = format_path(loc)

    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        parent = _annotation_at(model, loc[:-1]) if model is not None else None
        fields = _wire_names(parent) if parent is not None and _is_model(parent) else []
        message = f"unknown field '{name}' in {format_path(loc[:-1])}"
        guess = did_you_mean(name, fields)
        if guess:
            message += f"; did you mean '{guess}'?"
        hint = f"allowed here: {', '.join(fields)}" if fields else "remove it"
        return Issue(doc.locate_key(loc), message, hint)

    if kind == "missing":
        name = loc[-1] if loc else "?"
        info = _field_at(model, loc)
        hint = f"add '{name}:'"
        if info is not None and info.examples and not isinstance(info.examples[0], list | dict):
            hint = f"add it, e.g. {name}: {_yaml_value(info.examples[0])}"
        return Issue(doc.locate_key(loc[:-1]), f"'{name}' is required in {format_path(loc[:-1])}", hint)

    location = doc.locate(loc)
    if "[key]" in raw_loc:  # a mapping key itself is wrong: point at it and name it as a key
        location = doc.locate_key(loc)
        where = f"a key in {format_path(loc[:-1])}"
    if kind == CUSTOM_ERROR:
        return Issue(location, f"{where}: {ctx.get('message', error['msg'])}", str(ctx.get("hint", "")))
    if kind == "literal_error":
        allowed = _allowed(model, raw_loc, error)
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else describe(value)
        message = f"{where}: {shown} is not allowed"
        guess = did_you_mean(value, allowed)
        if guess:
            message += f"; did you mean '{guess}'?"
        hint = "use one of: " + ", ".join(_yaml_value(a) for a in allowed)
        if isinstance(value, bool):
            hint += "; YAML reads yes/no/on/off as true/false, so quote the value"
        elif isinstance(value, int | float):
            hint += "; quote it so YAML reads text"
        return Issue(location, message, hint)
    if kind in _KINDS:
        message = f"{where} must be {_KINDS[kind]}, not {describe(value)}"
        return Issue(location, message, _type_hint(kind, value))
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {
            "greater_than_equal": f"at least {ctx.get('ge')}",
            "greater_than": f"more than {ctx.get('gt')}",
            "less_than_equal": f"at most {ctx.get('le')}",
            "less_than": f"less than {ctx.get('lt')}",
        }[kind]
        return Issue(location, f"{where} must be {bound}, not {describe(value)}")
    if kind in ("too_short", "string_too_short"):
        if kind == "string_too_short" or isinstance(value, str):
            return Issue(location, f"{where} must not be empty")
        count = ctx.get("min_length", 1)
        return Issue(location, f"{where} needs at least {count} item{'s' if count != 1 else ''}")
    if kind in ("too_long", "string_too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        return Issue(location, f"{where} has more than {ctx.get('max_length')} {unit}")
    if kind == "value_error":
        return Issue(location, f"{where}: {ctx.get('error', error['msg'])}")
    return Issue(location, f"{where}: {error['msg']}")


def _type_hint(kind: str, value: Any) -> str:
    if kind == "string_type":
        if isinstance(value, bool):
            return "YAML reads yes/no/on/off/true/false as booleans; quote the value"
        if isinstance(value, int | float):
            return 'quote it so YAML reads text, e.g. "' + str(value) + '"'
        return ""
    if kind.startswith("int") and isinstance(value, str) and value.strip().isdigit():
        return f"write it without quotes: {value.strip()}"
    if kind == "list_type":
        if value is None:
            return "write [] for an empty list, or remove the key"
        return "write each item on its own line, starting with '- '"
    if kind in ("dict_type", "model_type", "model_attributes_type") and isinstance(value, list):
        return "remove the '- ' in front of the keys"
    return ""
