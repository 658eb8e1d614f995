"""One application as a diagram: nodes, edges and network groups, independent of how it is drawn.

Layout, and why: a VM with NICs on two networks must appear once, yet every network should show which VMs are
on it. Mermaid subgraphs and Graphviz clusters hold each node at most once, so VMs cannot sit inside their
networks. Instead the diagram follows the resources HyperCore has:

- each **VM** is one node (name, vCPUs, memory, machine type, power state);
- each **storage device** is a node joined to its VM (name, size, boot position), and each **asset** is a node
  with an arrow to every device that copies it (or, for an ISO, mounts it);
- each **network** is a group labelled with its VLAN (``web-net (VLAN 20)``) holding one small node per NIC
  on it, named after the NIC's VM and joined to that VM. A VM on two networks has one NIC node in each group.

So reading a group lists the VMs on that network, and reading a VM's edges lists its networks, with no node
drawn twice. Drawn left to right, the columns are images, disks, VMs, networks. The NIC nodes are also the
elements a plan changes when a VM joins or leaves a network (``hypercore_nic``).

Startup order is not in the manifest format yet; :func:`build_diagram` takes it as ``startup_order`` (VM -> the
VMs it waits for) and draws dashed arrows from each VM to the VMs that start after it.

Highlights (element id -> change kind, see :mod:`fleetform.graph.ids`) mark the changed elements. An element
that a highlight deletes is no longer in the manifest; it is drawn as a *ghost*, dashed, next to what is left
of its VM, so a review shows what goes away.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from fleetform.graph.ids import (
    CHANGE_KINDS,
    ChangeKind,
    change_kind,
    disk_id,
    image_id,
    network_id,
    nic_id,
    nic_keys,
    vm_id,
)
from fleetform.manifest.loader import LoadedManifest
from fleetform.manifest.model import Application
from fleetform.manifest.units import format_size
from fleetform.site.config import SiteConfig

NodeKind: TypeAlias = Literal["vm", "disk", "cdrom", "image", "nic"]
EdgeKind: TypeAlias = Literal["copy", "attach", "link", "startup"]
"""``copy``: image -> device; ``attach``: device -> VM; ``link``: VM -> NIC; ``startup``: VM -> a VM that
starts after it."""


@dataclass(frozen=True)
class Node:
    """One drawn element."""

    id: str
    """Element id (:mod:`fleetform.graph.ids`)."""
    kind: NodeKind
    lines: tuple[str, ...]
    """Label lines; the first is the element's name."""
    group: str | None = None
    """Element id of the network group the node is drawn in. Default: none (outside every group)."""
    change: ChangeKind | None = None
    """How a plan changes the element. Default: unchanged."""
    ghost: bool = False
    """Drawn only to show that a plan deletes it: it is not in the manifest. Default: False."""


@dataclass(frozen=True)
class Edge:
    """A line between two nodes, ``tail`` -> ``head`` (element ids)."""

    tail: str
    head: str
    kind: EdgeKind


@dataclass(frozen=True)
class Group:
    """A network: a box around the NICs on it."""

    id: str
    """Element id, ``network:<name>``."""
    network: str
    label: str
    """``<network> (VLAN <id>)``."""
    change: ChangeKind | None = None


@dataclass(frozen=True)
class Diagram:
    """An application as nodes, edges and network groups, in manifest order."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    groups: tuple[Group, ...]
    changes: tuple[ChangeKind, ...] = ()
    """The change kinds that appear on some node or group, in :data:`~fleetform.graph.ids.CHANGE_KINDS` order."""

    def node(self, element: str) -> Node:
        """The node with element id ``element``. Raises KeyError."""
        for node in self.nodes:
            if node.id == element:
                return node
        raise KeyError(element)


def build_diagram(
    app: LoadedManifest | Application,
    site: SiteConfig | None = None,
    highlight: Mapping[str, str] | None = None,
    *,
    startup_order: Mapping[str, Sequence[str]] | None = None,
) -> Diagram:
    """The diagram of one application (layout: module docstring).

    ``site`` gives the networks' VLANs (default: none shown). ``highlight`` maps element ids to change kinds
    (``create``, ``update``, ``delete``, ``replace``; ids that are not drawn are ignored, except deletions,
    drawn as ghosts). ``startup_order`` maps a VM to the VMs it waits for. Raises ValueError for an unknown
    change kind or a startup order naming a VM the application does not have.
    """
    application = app.application if isinstance(app, LoadedManifest) else app
    builder = _Builder(site)
    builder.add_application(application)
    if startup_order:
        builder.add_startup_order(startup_order)
    changes = {element: kind for element, given in (highlight or {}).items() if (kind := change_kind(given))}
    builder.add_ghosts({element for element, kind in changes.items() if kind == "delete"})
    return builder.finish(application.metadata.name, changes)


@dataclass
class _Builder:
    site: SiteConfig | None
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    groups: dict[str, Group] = field(default_factory=dict)
    vms: list[str] = field(default_factory=list)

    def add_application(self, application: Application) -> None:
        for asset in application.spec.assets:
            kind = "ISO image" if asset.format == "iso" else f"{asset.format} image"
            self._node(Node(image_id(asset.name), "image", (asset.name, kind)))
        for vm in application.spec.resources:
            if vm_id(vm.name) in self.nodes:
                continue  # a duplicate name: the loader reports it; draw the first
            spec = vm.spec
            self.vms.append(vm.name)
            self._node(
                Node(
                    vm_id(vm.name),
                    "vm",
                    (
                        vm.name,
                        f"{spec.cpu} vCPU · {format_size(spec.memory)}",
                        f"{spec.machine_type} · {spec.state}",
                    ),
                )
            )
            for device in spec.storage_devices:
                element = disk_id(vm.name, device.name)
                self._node(
                    Node(element, *_device_label(device.name, device.type, device.capacity, device.boot))
                )
                if device.source is not None and image_id(device.source) in self.nodes:
                    self.edges.append(Edge(image_id(device.source), element, "copy"))
                self.edges.append(Edge(element, vm_id(vm.name), "attach"))
            networks = [nic.name for nic in spec.network_devices]
            for network, key in zip(networks, nic_keys(networks), strict=True):
                # The second NIC of a VM on one network has the key <network>__2: say "NIC 2" on it.
                self._nic(
                    vm.name, key, network, number=int(key.rsplit("__", 1)[1]) if key != network else None
                )

    def add_startup_order(self, startup_order: Mapping[str, Sequence[str]]) -> None:
        known = set(self.vms)
        for vm, waits_for in startup_order.items():
            for name in (vm, *waits_for):
                if name not in known:
                    raise ValueError(f"startup order names VM {name!r}, which the application does not have")
            for first in waits_for:
                if first == vm:
                    raise ValueError(f"startup order: VM {vm!r} cannot wait for itself")
                self.edges.append(Edge(vm_id(first), vm_id(vm), "startup"))

    def add_ghosts(self, deleted: set[str]) -> None:
        missing = sorted(
            element for element in deleted if element not in self.nodes and element not in self.groups
        )
        for element in missing:
            if element.startswith("vm:"):
                name = element[len("vm:") :]
                self.vms.append(name)
                self._node(Node(element, "vm", (name, "deleted"), ghost=True))
            elif element.startswith("image:"):
                self._node(Node(element, "image", (element[len("image:") :], "deleted"), ghost=True))
        for element in missing:
            for prefix in ("disk:", "nic:"):
                if not element.startswith(prefix):
                    continue
                payload = element[len(prefix) :]
                owner = max((vm for vm in self.vms if payload.startswith(vm + "/")), key=len, default=None)
                name = payload[len(owner) + 1 :] if owner is not None else payload
                if prefix == "nic:":
                    self._nic(owner, name, self._network_of(name), element=element, ghost=True)
                else:
                    self._node(Node(element, "disk", (name, "deleted"), ghost=True))
                    if owner is not None:
                        self.edges.append(Edge(element, vm_id(owner), "attach"))

    def finish(self, title: str, changes: Mapping[str, ChangeKind]) -> Diagram:
        nodes = tuple(
            Node(n.id, n.kind, n.lines, n.group, changes.get(n.id), n.ghost) for n in self.nodes.values()
        )
        groups = tuple(Group(g.id, g.network, g.label, changes.get(g.id)) for g in self.groups.values())
        used = {n.change for n in nodes} | {g.change for g in groups}
        return Diagram(
            title=title,
            nodes=nodes,
            edges=tuple(self.edges),
            groups=groups,
            changes=tuple(kind for kind in CHANGE_KINDS if kind in used),
        )

    def _node(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)

    def _nic(
        self,
        vm: str | None,
        key: str,
        network: str,
        *,
        number: int | None = None,  # the NIC's position among the VM's NICs on this network, from 2
        element: str | None = None,
        ghost: bool = False,
    ) -> None:
        group = network_id(network)
        if group not in self.groups:
            self.groups[group] = Group(group, network, self._group_label(network))
        element = element or nic_id(vm or "", key)
        label = vm if vm is not None else key
        suffix = "deleted" if ghost else (f"NIC {number}" if number is not None else None)
        lines = (label, suffix) if suffix else (label,)
        self._node(Node(element, "nic", lines, group=group, ghost=ghost))
        if vm is not None:
            self.edges.append(Edge(vm_id(vm), element, "link"))

    def _group_label(self, network: str) -> str:
        if self.site is None:
            return network
        vlan = self.site.networks.get(network)
        if vlan is None:
            return f"{network} (no VLAN in fleetform.yaml)"
        return f"{network} (VLAN {vlan}{', untagged' if vlan == 0 else ''})"

    def _network_of(self, key: str) -> str:
        """The network of a NIC key: the key, or the key without its ``-<n>`` when that is a known network."""
        known = {g.network for g in self.groups.values()} | set(self.site.networks if self.site else ())
        if key in known:
            return key
        numbered = re.fullmatch(r"(.+)-\d+", key)
        if numbered and numbered[1] in known:
            return numbered[1]
        return key


def _device_label(
    name: str, device_type: str, capacity: int | None, boot: int | None
) -> tuple[NodeKind, tuple[str, ...]]:
    if device_type == "ide_cdrom":
        kind: NodeKind = "cdrom"
        detail = "CD-ROM"
    else:
        kind = "disk"
        detail = format_size(capacity) if capacity is not None else "image size"
    if boot is not None:
        detail += f" · boot {boot}"
    return kind, (name, detail)
