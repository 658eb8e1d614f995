"""A :class:`~fleetform.graph.diagram.Diagram` as Graphviz DOT, with the same nodes, edges and network groups
as the Mermaid output (groups become ``cluster_`` subgraphs), and SVG through Graphviz's ``dot``.

Node ids are the element ids themselves, quoted; every quoted string escapes ``\\`` and ``"``, and label lines
are joined with ``\\n``, so no name can break the syntax.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence

from fleetform.errors import ToolError
from fleetform.graph.diagram import Diagram, Node, build_diagram
from fleetform.graph.ids import ChangeKind
from fleetform.manifest.loader import LoadedManifest
from fleetform.manifest.model import Application
from fleetform.site.config import SiteConfig

INSTALL_HINT = (
    "install Graphviz: `sudo apt-get install graphviz` on Debian/Ubuntu (`make setup` does it), "
    "or see https://graphviz.org/download/"
)
DOT_TIMEOUT_S = 60
INDENT = "    "

_SHAPES = {"vm": "box", "disk": "cylinder", "cdrom": "cylinder", "image": "note", "nic": "box"}
_NODE_STYLE = {
    "vm": "rounded,filled",
    "disk": "filled",
    "cdrom": "filled",
    "image": "filled",
    "nic": "rounded",
}
_FILL = {"vm": "#ddf4ff", "disk": "#f6f8fa", "cdrom": "#f6f8fa", "image": "#fbefff", "nic": "#ffffff"}
_CHANGE_FILL: dict[ChangeKind, tuple[str, str]] = {
    "create": ("#dafbe1", "#1a7f37"),
    "update": ("#fff8c5", "#9a6700"),
    "replace": ("#ffd8b5", "#bc4c00"),
    "delete": ("#ffebe9", "#cf222e"),
}
_EDGES = {
    "copy": "",
    "attach": "dir=none",
    "link": "dir=none",
    "startup": 'style=dashed, label="before", constraint=false',
}


def render_dot(
    app: LoadedManifest | Application,
    site: SiteConfig | None = None,
    highlight: Mapping[str, str] | None = None,
    *,
    startup_order: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """One application as Graphviz DOT (arguments as :func:`fleetform.graph.mermaid.render_mermaid`)."""
    return dot_from_diagram(build_diagram(app, site, highlight, startup_order=startup_order))


def dot_from_diagram(diagram: Diagram) -> str:
    """The DOT text of a built diagram."""
    lines = [
        f"digraph {quote(diagram.title)} {{",
        f"{INDENT}graph [rankdir=LR, label={quote(diagram.title)}, labelloc=t, fontname=Helvetica, "
        "nodesep=0.25, ranksep=0.7];",
        f'{INDENT}node [fontname=Helvetica, fontsize=10, color="#57606a"];',
        f'{INDENT}edge [fontname=Helvetica, fontsize=9, color="#57606a"];',
    ]
    for node in diagram.nodes:
        if node.group is None:
            lines.append(INDENT + _node(node))
    for number, group in enumerate(diagram.groups):
        fill, border = ("#f6f8fa", "#8c959f")
        style = "rounded,filled"
        if group.change is not None:
            fill, border = _CHANGE_FILL[group.change]
            style += ",dashed" if group.change == "delete" else ""
        lines.append(f"{INDENT}subgraph cluster_{number} {{")
        lines.append(
            f"{INDENT * 2}graph [label={quote(group.label)}, style={quote(style)}, fillcolor={quote(fill)}, "
            f"color={quote(border)}];"
        )
        for node in diagram.nodes:
            if node.group == group.id:
                lines.append(INDENT * 2 + _node(node))
        lines.append(INDENT + "}")
    for edge in diagram.edges:
        attributes = _EDGES[edge.kind]
        suffix = f" [{attributes}]" if attributes else ""
        lines.append(f"{INDENT}{quote(edge.tail)} -> {quote(edge.head)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def quote(text: str) -> str:
    """``text`` as a DOT double-quoted string; line breaks become ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def dot_to_svg(dot: str) -> str:
    """Render DOT text to SVG with Graphviz's ``dot``. Raises ToolError when Graphviz is missing or fails."""
    executable = shutil.which("dot")
    if executable is None:
        raise ToolError(f"Graphviz's `dot` is not on PATH, and --format svg needs it; {INSTALL_HINT}")
    try:
        result = subprocess.run(
            [executable, "-Tsvg"],
            input=dot,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(f"Graphviz's `dot` did not finish within {DOT_TIMEOUT_S} s") from None
    except OSError as exc:
        raise ToolError(f"cannot run Graphviz's `dot` ({executable}): {exc.strerror or exc}") from None
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise ToolError(f"Graphviz's `dot` failed: {detail}")
    return result.stdout


def _node(node: Node) -> str:
    fill, border = _FILL[node.kind], "#57606a"
    style = _NODE_STYLE[node.kind]
    if node.change is not None:
        fill, border = _CHANGE_FILL[node.change]
        style = ",".join(dict.fromkeys([*style.split(","), "filled"]))
        if node.change == "delete":
            style += ",dashed"
    label = "\\n".join(quote(line)[1:-1] for line in node.lines)
    return (
        f"{quote(node.id)} [shape={_SHAPES[node.kind]}, style={quote(style)}, fillcolor={quote(fill)}, "
        f'color={quote(border)}, label="{label}"];'
    )
