"""A :class:`~fleetform.graph.diagram.Diagram` as a Mermaid flowchart, which GitHub renders inline in Markdown.

The text is built to parse whatever the names contain:

- node ids are generated (``vm_web_01``, ``disk_web_01_system``, with ``_2``... on a clash), letters, digits
  and ``_`` only, and always start with a kind prefix, so no id is a Mermaid keyword (``end``) or begins with
  the ``o``/``x`` that would turn an edge into a circle or cross edge;
- every label is double-quoted, with ``"``, ``#``, ``&``, ``<``, ``>`` and backticks written as Mermaid
  entity codes (``#quot;``...) and line breaks as ``<br/>``;
- group nodes are declared inside their ``subgraph`` before any edge mentions them, so membership never depends
  on Mermaid's order rules.

Changed elements get the classes ``create`` (green), ``update`` (amber), ``replace`` (orange, thick border)
and ``delete`` (red, dashed border); changed networks are styled with ``style`` (Mermaid applies classes to
nodes only). A legend lists the kinds in use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from fleetform.graph.diagram import Diagram, Edge, Node, build_diagram
from fleetform.graph.ids import ChangeKind
from fleetform.manifest.loader import LoadedManifest
from fleetform.manifest.model import Application
from fleetform.site.config import SiteConfig

INDENT = "    "
CLASS_STYLES: dict[ChangeKind, str] = {
    "create": "fill:#dafbe1,stroke:#1a7f37,stroke-width:2px,color:#1f2328",
    "update": "fill:#fff8c5,stroke:#9a6700,stroke-width:2px,color:#1f2328",
    "replace": "fill:#ffd8b5,stroke:#bc4c00,stroke-width:3px,color:#1f2328",
    "delete": "fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5,color:#1f2328",
}
"""classDef of each change kind: GitHub's diff colours, dark text so they read in dark mode too."""
LEGEND_TEXT: dict[ChangeKind, str] = {
    "create": "created",
    "update": "updated in place",
    "replace": "replaced",
    "delete": "deleted",
}

_ENTITIES = {'"': "#quot;", "#": "#35;", "&": "#amp;", "<": "#lt;", ">": "#gt;", "`": "#96;"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_SPACE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_PREFIX = {"vm": "vm", "disk": "disk", "cdrom": "disk", "image": "img", "nic": "nic"}
_SHAPES = {
    "vm": ('["', '"]'),
    "disk": ('[("', '")]'),
    "cdrom": ('[("', '")]'),
    "image": ('[/"', '"/]'),
    "nic": ('(["', '"])'),
}
_ARROWS = {"copy": "-->", "attach": "---", "link": "---", "startup": '-.->|"before"|'}


def render_mermaid(
    app: LoadedManifest | Application,
    site: SiteConfig | None = None,
    highlight: Mapping[str, str] | None = None,
    *,
    startup_order: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """One application as Mermaid flowchart text (no Markdown fence; see :func:`fenced`).

    ``highlight`` maps element ids (:mod:`fleetform.graph.ids`) to ``create``, ``update``, ``delete`` or
    ``replace``; ``startup_order`` maps a VM to the VMs it waits for. Layout:
    :mod:`fleetform.graph.diagram`.
    """
    return mermaid_from_diagram(build_diagram(app, site, highlight, startup_order=startup_order))


def fenced(mermaid: str) -> str:
    """Mermaid text in a Markdown ```` ```mermaid ```` block, which GitHub renders as the diagram."""
    return f"```mermaid\n{mermaid.rstrip()}\n```\n"


def mermaid_from_diagram(diagram: Diagram) -> str:
    """The Mermaid flowchart of a built diagram."""
    ids = _Ids()
    for node in diagram.nodes:
        ids.add(node.id, _PREFIX[node.kind])
    for group in diagram.groups:
        ids.add(group.id, "net")

    lines = ["---", f"title: {json.dumps(diagram.title)}", "---", "flowchart LR"]
    for node in diagram.nodes:
        if node.group is None:
            lines.append(INDENT + _declare(ids[node.id], node))
    for group in diagram.groups:
        lines.append(f'{INDENT}subgraph {ids[group.id]}["{label(group.label)}"]')
        for node in diagram.nodes:
            if node.group == group.id:
                lines.append(INDENT * 2 + _declare(ids[node.id], node))
        lines.append(INDENT + "end")
    for edge in diagram.edges:
        lines.append(INDENT + _edge(ids, edge))

    if diagram.changes:
        lines.append(f'{INDENT}subgraph legend["changes"]')
        for kind in diagram.changes:
            lines.append(f'{INDENT * 2}legend_{kind}["{label(LEGEND_TEXT[kind])}"]')
        lines.append(INDENT + "end")
        for kind in diagram.changes:
            lines.append(f"{INDENT}classDef {kind} {CLASS_STYLES[kind]}")
        for kind in diagram.changes:
            members = [ids[n.id] for n in diagram.nodes if n.change == kind]
            lines.append(f"{INDENT}class {','.join([*members, f'legend_{kind}'])} {kind}")
        for group in diagram.groups:
            if group.change is not None:
                lines.append(f"{INDENT}style {ids[group.id]} {CLASS_STYLES[group.change]}")
    return "\n".join(lines) + "\n"


def label(text: str) -> str:
    """``text`` made safe inside a double-quoted Mermaid label."""
    text = _SPACE.sub(" ", text)
    return "".join(_ENTITIES.get(char, char) for char in text)


def _declare(node_id: str, node: Node) -> str:
    opening, closing = _SHAPES[node.kind]
    return f"{node_id}{opening}{'<br/>'.join(label(line) for line in node.lines)}{closing}"


def _edge(ids: _Ids, edge: Edge) -> str:
    return f"{ids[edge.tail]} {_ARROWS[edge.kind]} {ids[edge.head]}"


class _Ids:
    """Element ids -> unique Mermaid node ids made of a kind prefix and the name's letters and digits."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._taken: set[str] = {"legend"} | {f"legend_{kind}" for kind in CLASS_STYLES}

    def add(self, element: str, prefix: str) -> None:
        if element in self._ids:
            return
        name = element.split(":", 1)[1]
        base = f"{prefix}_{_UNSAFE.sub('_', name)}"
        candidate, number = base, 1
        while candidate in self._taken:
            number += 1
            candidate = f"{base}_{number}"
        self._taken.add(candidate)
        self._ids[element] = candidate

    def __getitem__(self, element: str) -> str:
        return self._ids[element]
