"""Pictures of applications: Mermaid (GitHub renders it inline) and Graphviz DOT/SVG, from one diagram model.

- :mod:`fleetform.graph.ids`: element ids (``vm:<vm>``, ``disk:<vm>/<device>``, ``nic:<vm>/<key>``,
  ``image:<asset>``, ``network:<network>``) and :func:`highlight_from_addresses` (Terraform addresses -> ids);
- :mod:`fleetform.graph.diagram`: the layout (VMs once; networks as VLAN-labelled groups of NICs) and ghosts for
  deleted elements;
- :mod:`fleetform.graph.mermaid` and :mod:`fleetform.graph.dot`: the two renderings. Only
  :func:`~fleetform.graph.dot.dot_to_svg` runs a program (Graphviz's ``dot``); everything else is pure.
"""

from fleetform.graph.diagram import Diagram, Edge, Group, Node, build_diagram
from fleetform.graph.dot import dot_from_diagram, dot_to_svg, render_dot
from fleetform.graph.ids import (
    CHANGE_KINDS,
    ChangeKind,
    disk_id,
    highlight_from_addresses,
    image_id,
    network_id,
    nic_id,
    vm_id,
)
from fleetform.graph.mermaid import fenced, mermaid_from_diagram, render_mermaid

__all__ = [
    "CHANGE_KINDS",
    "ChangeKind",
    "Diagram",
    "Edge",
    "Group",
    "Node",
    "build_diagram",
    "disk_id",
    "dot_from_diagram",
    "dot_to_svg",
    "fenced",
    "highlight_from_addresses",
    "image_id",
    "mermaid_from_diagram",
    "network_id",
    "nic_id",
    "render_dot",
    "render_mermaid",
    "vm_id",
]
