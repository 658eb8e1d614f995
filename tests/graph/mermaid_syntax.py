"""A strict reader of the Mermaid subset fleetform writes, standing in for ``mmdc`` in tests.

It refuses any line it does not know, unbalanced ``subgraph``/``end``, nested subgraphs, unsafe ids, raw
quotes or angle brackets inside labels, edges to undeclared nodes, and classes used but not defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID = r"[A-Za-z][A-Za-z0-9_]*"
LABEL = r'"(?P<label>[^"]*)"'
SHAPES = {
    "box": (r"\[", r"\]"),
    "cylinder": (r"\[\(", r"\)\]"),
    "parallelogram": (r"\[/", r"/\]"),
    "stadium": (r"\(\[", r"\]\)"),
}
NODE = [(shape, re.compile(rf"(?P<id>{ID}){o}{LABEL}{c}")) for shape, (o, c) in SHAPES.items()]
EDGE = re.compile(rf'(?P<tail>{ID}) (?P<op>-->|---|-\.->\|"[^"|]*"\|) (?P<head>{ID})')
SUBGRAPH = re.compile(rf"subgraph (?P<id>{ID}){re.escape('[')}{LABEL}\]")
CLASSDEF = re.compile(rf"classDef (?P<name>{ID}) (?P<style>[a-z-]+:[^,:]+(,[a-z-]+:[^,:]+)*)")
CLASS = re.compile(rf"class (?P<ids>{ID}(,{ID})*) (?P<name>{ID})")
STYLE = re.compile(rf"style (?P<id>{ID}) (?P<style>\S.*)")
ENTITY = re.compile(r"#(?:[a-z]+|\d+);")
KEYWORDS = {"end", "subgraph", "graph", "flowchart", "class", "classDef", "style", "click", "direction"}


class MermaidSyntaxError(AssertionError):
    """The text is not in the subset, or is inconsistent."""


@dataclass
class Flowchart:
    title: str | None = None
    nodes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    """node id -> (shape, label lines with entities decoded)."""
    groups: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    """subgraph id -> (label, member node ids)."""
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    """(tail, operator, head)."""
    class_defs: dict[str, str] = field(default_factory=dict)
    classes: dict[str, set[str]] = field(default_factory=dict)
    styles: dict[str, str] = field(default_factory=dict)

    def group_of(self, node: str) -> str | None:
        for group, (_label, members) in self.groups.items():
            if node in members:
                return group
        return None

    def neighbours(self, node: str, op: str | None = None) -> set[str]:
        found = set()
        for tail, edge_op, head in self.edges:
            if op is not None and edge_op != op:
                continue
            if tail == node:
                found.add(head)
            elif head == node:
                found.add(tail)
        return found


def decode(label: str) -> list[str]:
    """Label lines: check the escaping, then undo it."""
    if "<" in label.replace("<br/>", "") or ">" in label.replace("<br/>", ""):
        raise MermaidSyntaxError(f"raw angle bracket in label {label!r}")
    if "`" in label:
        raise MermaidSyntaxError(f"raw backtick in label {label!r}")
    for hash_at in (m.start() for m in re.finditer("#", label)):
        if not ENTITY.match(label, hash_at):
            raise MermaidSyntaxError(f"raw # in label {label!r}")
    names = {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}

    def entity(match: re.Match[str]) -> str:
        code = match[0][1:-1]
        return names[code] if code in names else chr(int(code))

    return [ENTITY.sub(entity, line) for line in label.split("<br/>")]


def parse(text: str) -> Flowchart:
    """Parse and check fleetform's Mermaid output. Raises MermaidSyntaxError."""
    lines = text.splitlines()
    chart = Flowchart()
    if lines[:1] == ["---"]:
        close = lines.index("---", 1)
        for line in lines[1:close]:
            if line.startswith("title: "):
                chart.title = line[len("title: ") :]
        lines = lines[close + 1 :]
    if not lines or lines[0] != "flowchart LR":
        raise MermaidSyntaxError("the first line must be 'flowchart LR'")
    open_group: str | None = None
    declared_in_order: list[str] = []
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line:
            continue
        if match := SUBGRAPH.fullmatch(line):
            if open_group is not None:
                raise MermaidSyntaxError(f"line {number}: nested subgraph")
            open_group = match["id"]
            chart.groups[open_group] = ("\n".join(decode(match["label"])), [])
            declared_in_order.append(open_group)
        elif line == "end":
            if open_group is None:
                raise MermaidSyntaxError(f"line {number}: 'end' without a subgraph")
            open_group = None
        elif match := EDGE.fullmatch(line):
            chart.edges.append((match["tail"], match["op"], match["head"]))
        elif match := CLASSDEF.fullmatch(line):
            chart.class_defs[match["name"]] = match["style"]
        elif match := CLASS.fullmatch(line):
            chart.classes.setdefault(match["name"], set()).update(match["ids"].split(","))
        elif match := STYLE.fullmatch(line):
            chart.styles[match["id"]] = match["style"]
        else:
            for shape, pattern in NODE:
                if match := pattern.fullmatch(line):
                    node = match["id"]
                    if node in chart.nodes:
                        raise MermaidSyntaxError(f"line {number}: node {node} declared twice")
                    chart.nodes[node] = (shape, decode(match["label"]))
                    declared_in_order.append(node)
                    if open_group is not None:
                        chart.groups[open_group][1].append(node)
                    break
            else:
                raise MermaidSyntaxError(f"line {number}: not in the subset: {raw!r}")
    if open_group is not None:
        raise MermaidSyntaxError(f"subgraph {open_group} has no 'end'")
    for node in declared_in_order:
        if node in KEYWORDS or node.lower() == "end" or node[0] in "ox":
            raise MermaidSyntaxError(f"unsafe id {node!r}")
    if len(set(declared_in_order)) != len(declared_in_order):
        raise MermaidSyntaxError("a subgraph and a node share an id")
    for tail, _op, head in chart.edges:
        for end in (tail, head):
            if end not in chart.nodes:
                raise MermaidSyntaxError(f"edge {tail} -> {head}: {end} is not declared")
    for name, members in chart.classes.items():
        if name not in chart.class_defs:
            raise MermaidSyntaxError(f"class {name} is used but not defined")
        for member in members:
            if member not in chart.nodes:
                raise MermaidSyntaxError(f"class {name} names undeclared node {member}")
    for target in chart.styles:
        if target not in chart.groups and target not in chart.nodes:
            raise MermaidSyntaxError(f"style names undeclared {target}")
    return chart
