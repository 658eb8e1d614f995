"""Graphviz output: the same structure as the Mermaid diagram, rendered to SVG by the real `dot`.

These tests need Graphviz (`apt-get install graphviz`; `make setup` installs it) and fail without it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fleetform.errors import ToolError
from fleetform.graph import dot_to_svg, highlight_from_addresses, render_dot
from fleetform.manifest.loader import LoadedManifest, load_manifest
from fleetform.manifest.model import Application
from fleetform.site.config import SiteConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def three_tier() -> LoadedManifest:
    return load_manifest(ROOT / "manifests/three-tier-webapp.yaml")


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_config(ROOT / "fleetform.yaml")


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_dot_has_one_cluster_per_network_with_vlan_labels(
    three_tier: LoadedManifest, site: SiteConfig
) -> None:
    dot = render_dot(three_tier, site)
    assert dot.startswith('digraph "three-tier-webapp" {') and dot.endswith("}\n")
    assert re.findall(r'subgraph cluster_\d+ \{\n\s+graph \[label="([^"]+)"', dot) == [
        "public-net (VLAN 10)",
        "web-net (VLAN 20)",
        "app-net (VLAN 30)",
        "db-net (VLAN 40)",
    ]
    assert '"image:ubuntu-db" -> "disk:db-tier-replica/db-system";' in dot
    assert '"vm:db-tier-replica" -> "nic:db-tier-replica/db-net" [dir=none];' in dot
    assert 'label="db-data\\n200 GiB"' in dot


def test_svg_of_three_tier_app_shows_every_vm_and_network(
    three_tier: LoadedManifest, site: SiteConfig
) -> None:
    svg = dot_to_svg(render_dot(three_tier, site))
    texts = svg_texts(svg)
    for vm in ("web-tier-lb", "app-tier-01", "app-tier-02", "db-tier-primary", "db-tier-replica"):
        assert vm in texts
    assert {"public-net (VLAN 10)", "web-net (VLAN 20)", "app-net (VLAN 30)", "db-net (VLAN 40)"} <= set(
        texts
    )
    assert "50 GiB · boot 1" in texts


def test_svg_marks_changes_with_colours_and_dashed_ghosts(
    three_tier: LoadedManifest, site: SiteConfig
) -> None:
    highlight = highlight_from_addresses(
        {"hypercore_vm.web-tier-lb": "update", "hypercore_vm.gone": "delete"}
    )
    dot = render_dot(three_tier, site, highlight)
    assert '"vm:web-tier-lb" [shape=box, style="rounded,filled", fillcolor="#fff8c5"' in dot
    assert '"vm:gone" [shape=box, style="rounded,filled,dashed", fillcolor="#ffebe9"' in dot
    assert "gone" in svg_texts(dot_to_svg(dot))


def test_dot_escapes_names_graphviz_would_misread() -> None:
    name = 'web "01" \\ {x} <y> ;'
    app = Application.model_validate(
        {
            "type": "Application",
            "version": "1.0.0",
            "metadata": {"name": 'a "b"'},
            "spec": {
                "resources": [
                    {
                        "type": "virdomain",
                        "name": name,
                        "spec": {
                            "cpu": 1,
                            "memory": "1GiB",
                            "machine_type": "bios",
                            "state": "running",
                            "network_devices": [{"name": "n\\1", "type": "virtio"}],
                        },
                    }
                ]
            },
        }
    )
    texts = svg_texts(dot_to_svg(render_dot(app)))
    assert texts.count(name) == 2  # the VM and its NIC
    assert "n\\1" in texts


def test_missing_graphviz_raises_tool_error_with_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, three_tier: LoadedManifest
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match=r"apt-get install graphviz.*make setup"):
        dot_to_svg(render_dot(three_tier))


def test_graphviz_failure_raises_tool_error() -> None:
    with pytest.raises(ToolError, match="Graphviz's `dot` failed"):
        dot_to_svg("digraph { this is not dot")
