"""Mermaid diagrams of applications: the seed's three-tier app on its networks, escaping, highlights, order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mermaid_syntax import Flowchart, parse

from fleetform.graph import (
    build_diagram,
    disk_id,
    fenced,
    highlight_from_addresses,
    image_id,
    network_id,
    nic_id,
    render_mermaid,
    vm_id,
)
from fleetform.manifest.loader import LoadedManifest, load_manifest
from fleetform.manifest.model import Application
from fleetform.site.config import SiteConfig, load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def three_tier() -> LoadedManifest:
    return load_manifest(ROOT / "manifests/three-tier-webapp.yaml")


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_config(ROOT / "fleetform.yaml")


def vm_nodes(chart: Flowchart) -> dict[str, str]:
    """VM name -> node id (VMs are the box-shaped nodes)."""
    return {lines[0]: node for node, (shape, lines) in chart.nodes.items() if shape == "box"}


def by_label(chart: Flowchart, shape: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node, (node_shape, lines) in chart.nodes.items():
        if node_shape == shape:
            found.setdefault(lines[0], []).append(node)
    return found


def app(**vm_spec: Any) -> Application:
    spec = {"cpu": 1, "memory": "1GiB", "machine_type": "bios", "state": "running", **vm_spec}
    data = {
        "type": "Application",
        "version": "1.0.0",
        "metadata": {"name": "t"},
        "spec": {"resources": [{"type": "virdomain", "name": "vm1", "spec": spec}]},
    }
    return Application.model_validate(data)


def test_three_tier_diagram_shows_its_five_vms_once(three_tier: LoadedManifest, site: SiteConfig) -> None:
    chart = parse(render_mermaid(three_tier, site))
    vms = vm_nodes(chart)
    assert sorted(vms) == ["app-tier-01", "app-tier-02", "db-tier-primary", "db-tier-replica", "web-tier-lb"]
    assert all(chart.group_of(node) is None for node in vms.values())
    assert chart.title == '"three-tier-webapp"'


def test_three_tier_vms_connect_to_exactly_their_manifest_networks(
    three_tier: LoadedManifest, site: SiteConfig
) -> None:
    chart = parse(render_mermaid(three_tier, site))
    networks = {group: label for group, (label, _members) in chart.groups.items()}
    assert sorted(networks.values()) == [
        "app-net (VLAN 30)",
        "db-net (VLAN 40)",
        "public-net (VLAN 10)",
        "web-net (VLAN 20)",
    ]
    for name, node in vm_nodes(chart).items():
        linked = {
            networks[chart.group_of(nic) or ""]
            for nic in chart.neighbours(node, "---")
            if chart.group_of(nic)
        }
        expected = {
            f"{nic.name} (VLAN {site.networks[nic.name]})" for nic in three_tier.vm(name).spec.network_devices
        }
        assert linked == expected, name


def test_three_tier_network_groups_list_the_vms_on_them(three_tier: LoadedManifest, site: SiteConfig) -> None:
    chart = parse(render_mermaid(three_tier, site))
    members = {label: sorted(chart.nodes[n][1][0] for n in nodes) for label, nodes in chart.groups.values()}
    assert members["web-net (VLAN 20)"] == ["app-tier-01", "app-tier-02", "web-tier-lb"]
    assert members["db-net (VLAN 40)"] == ["db-tier-primary", "db-tier-replica"]


def test_three_tier_disks_show_sizes_and_boot_marker(three_tier: LoadedManifest, site: SiteConfig) -> None:
    chart = parse(render_mermaid(three_tier, site))
    primary = vm_nodes(chart)["db-tier-primary"]
    disks = sorted(
        tuple(chart.nodes[n][1]) for n in chart.neighbours(primary, "---") if chart.nodes[n][0] == "cylinder"
    )
    assert disks == [("db-data", "200 GiB"), ("db-logs", "100 GiB"), ("db-system", "50 GiB · boot 1")]


def test_three_tier_images_point_at_the_disks_that_copy_them(
    three_tier: LoadedManifest, site: SiteConfig
) -> None:
    chart = parse(render_mermaid(three_tier, site))
    images = {lines[0]: node for node, (shape, lines) in chart.nodes.items() if shape == "parallelogram"}
    assert chart.nodes[images["ubuntu-db"]][1] == ["ubuntu-db", "raw image"]
    copies = {
        name: sorted(
            (chart.nodes[vm][1][0], chart.nodes[disk][1][0])
            for tail, op, disk in chart.edges
            if tail == node and op == "-->"
            for vm in chart.neighbours(disk, "---")
        )
        for name, node in images.items()
    }
    assert copies == {
        "ubuntu-web": [("web-tier-lb", "web-lb-disk")],
        "ubuntu-app": [("app-tier-01", "app-disk"), ("app-tier-02", "app-disk")],
        "ubuntu-db": [("db-tier-primary", "db-system"), ("db-tier-replica", "db-system")],
    }


def test_every_seed_application_renders_valid_mermaid(site: SiteConfig) -> None:
    for path in sorted((ROOT / "manifests").glob("*.yaml")):
        chart = parse(render_mermaid(load_manifest(path), site))
        assert chart.nodes and chart.groups, path.name


def test_without_site_networks_are_labelled_by_name_only(three_tier: LoadedManifest) -> None:
    chart = parse(render_mermaid(three_tier))
    assert sorted(label for label, _ in chart.groups.values()) == [
        "app-net",
        "db-net",
        "public-net",
        "web-net",
    ]


def test_network_missing_from_site_says_so() -> None:
    chart = parse(render_mermaid(app(network_devices=[{"name": "lab", "type": "virtio"}]), SiteConfig()))
    assert [label for label, _ in chart.groups.values()] == ["lab (no VLAN in fleetform.yaml)"]


def test_second_nic_on_one_network_is_numbered() -> None:
    nics = [{"name": "lan", "type": "virtio"}, {"name": "lan", "type": "virtio"}]
    diagram = build_diagram(app(network_devices=nics), SiteConfig(networks={"lan": 0}))
    assert diagram.node(nic_id("vm1", "lan")).lines == ("vm1",)
    assert diagram.node(nic_id("vm1", "lan__2")).lines == ("vm1", "NIC 2")
    assert [g.label for g in diagram.groups] == ["lan (VLAN 0, untagged)"]


def test_cdrom_and_imageless_disks_are_labelled() -> None:
    devices = [
        {"name": "cd", "type": "ide_cdrom", "boot": 2},
        {"name": "sys", "type": "virtio_disk", "capacity": "1.5GiB", "boot": 1},
    ]
    diagram = build_diagram(app(storage_devices=devices))
    assert diagram.node(disk_id("vm1", "cd")).lines == ("cd", "CD-ROM · boot 2")
    assert diagram.node(disk_id("vm1", "sys")).lines == ("sys", "1.5 GiB · boot 1")


def test_special_characters_in_names_are_escaped_and_ids_stay_safe() -> None:
    weird = 'web "01" <b>#1</b> & `x` {a}.b|c'
    data = {
        "type": "Application",
        "version": "1.0.0",
        "metadata": {"name": 'app "quoted"'},
        "spec": {
            "assets": [{"name": "img.v1", "type": "virtual_disk", "format": "qcow2", "url": "https://x/y"}],
            "resources": [
                {
                    "type": "virdomain",
                    "name": name,
                    "spec": {
                        "cpu": 1,
                        "memory": "1GiB",
                        "machine_type": "tpm",
                        "state": "shutoff",
                        "storage_devices": [{"name": "a/b", "type": "virtio_disk", "source": "img.v1"}],
                        "network_devices": [{"name": "net.1 (x)", "type": "virtio"}],
                    },
                }
                for name in (weird, "end", "o1", "x.y", "x_y")
            ],
        },
    }
    chart = parse(render_mermaid(Application.model_validate(data), SiteConfig(networks={"net.1 (x)": 7})))
    assert sorted(vm_nodes(chart)) == sorted([weird, "end", "o1", "x.y", "x_y"])
    assert len(set(vm_nodes(chart).values())) == 5
    assert [label for label, _ in chart.groups.values()] == ["net.1 (x) (VLAN 7)"]
    assert chart.nodes[vm_nodes(chart)[weird]][1] == [weird, "1 vCPU · 1 GiB", "tpm · shutoff"]
    assert chart.title == '"app \\"quoted\\""'


def test_highlight_marks_changed_elements_with_classes(three_tier: LoadedManifest, site: SiteConfig) -> None:
    highlight = highlight_from_addresses(
        {
            "hypercore_vm.web-tier-lb": "update",
            "hypercore_disk.db-tier-primary__db-logs": "create",
            "hypercore_virtual_disk.ubuntu-db": "replace",
            "hypercore_nic.app-tier-02__app-net": "delete",
            "hypercore_vm_power_state.app-tier-01": "update",
        },
        three_tier,
    )
    chart = parse(render_mermaid(three_tier, site, highlight))
    names = {node: tuple(lines) for node, (_shape, lines) in chart.nodes.items()}
    marked = {
        kind: sorted(names[n] for n in nodes if not n.startswith("legend_"))
        for kind, nodes in chart.classes.items()
    }
    assert marked == {
        "create": [("db-logs", "100 GiB")],
        "update": [vm_label(chart, "app-tier-01"), vm_label(chart, "web-tier-lb")],
        "replace": [("ubuntu-db", "raw image")],
        "delete": [("app-tier-02",)],
    }
    assert "stroke-dasharray:5 5" in chart.class_defs["delete"]
    assert [chart.nodes[n][1][0] for n in chart.groups["legend"][1]] == [
        "created",
        "updated in place",
        "deleted",
        "replaced",
    ]


def vm_label(chart: Flowchart, name: str) -> tuple[str, ...]:
    return tuple(chart.nodes[vm_nodes(chart)[name]][1])


def test_no_highlight_means_no_classes_or_legend(three_tier: LoadedManifest, site: SiteConfig) -> None:
    chart = parse(render_mermaid(three_tier, site, {vm_id("not-there"): "update"}))
    assert chart.classes == {} and "legend" not in chart.groups


def test_deleted_elements_are_drawn_as_dashed_ghosts(three_tier: LoadedManifest, site: SiteConfig) -> None:
    highlight = {
        vm_id("old-cache"): "delete",
        disk_id("old-cache", "cache-disk"): "delete",
        nic_id("old-cache", "db-net"): "delete",
        disk_id("web-tier-lb", "scratch"): "delete",
        image_id("ubuntu-old"): "delete",
    }
    diagram = build_diagram(three_tier, site, highlight)
    assert diagram.node(vm_id("old-cache")).lines == ("old-cache", "deleted")
    assert diagram.node(nic_id("old-cache", "db-net")).group == network_id("db-net")
    assert all(
        diagram.node(element).ghost and diagram.node(element).change == "delete" for element in highlight
    )
    chart = parse(render_mermaid(three_tier, site, highlight))
    ghost_vm = vm_nodes(chart)["old-cache"]
    assert {tuple(chart.nodes[n][1]) for n in chart.neighbours(ghost_vm)} == {
        ("cache-disk", "deleted"),
        ("old-cache", "deleted"),
    }
    scratch = next(n for n, (_s, lines) in chart.nodes.items() if lines[0] == "scratch")
    assert chart.neighbours(scratch) == {vm_nodes(chart)["web-tier-lb"]}
    assert len(chart.classes["delete"]) == len(highlight) + 1  # and the legend entry


def test_changed_network_is_styled(three_tier: LoadedManifest, site: SiteConfig) -> None:
    chart = parse(render_mermaid(three_tier, site, {network_id("db-net"): "create"}))
    group = next(g for g, (label, _m) in chart.groups.items() if label.startswith("db-net"))
    assert chart.styles[group].startswith("fill:#dafbe1")


def test_startup_order_draws_dashed_arrows_from_first_to_later(
    three_tier: LoadedManifest, site: SiteConfig
) -> None:
    order = {"app-tier-01": ["db-tier-primary"], "web-tier-lb": ["app-tier-01", "app-tier-02"]}
    chart = parse(render_mermaid(three_tier, site, startup_order=order))
    vms = {node: name for name, node in vm_nodes(chart).items()}
    dashed = sorted((vms[t], vms[h]) for t, op, h in chart.edges if op.startswith("-.->"))
    assert dashed == [
        ("app-tier-01", "web-tier-lb"),
        ("app-tier-02", "web-tier-lb"),
        ("db-tier-primary", "app-tier-01"),
    ]


def test_startup_order_with_unknown_vm_raises(three_tier: LoadedManifest) -> None:
    with pytest.raises(ValueError, match="'nope'"):
        render_mermaid(three_tier, startup_order={"web-tier-lb": ["nope"]})


def test_unknown_change_kind_raises(three_tier: LoadedManifest) -> None:
    with pytest.raises(ValueError, match="unknown change kind 'recreate'"):
        render_mermaid(three_tier, highlight={vm_id("web-tier-lb"): "recreate"})


def test_fenced_wraps_mermaid_for_markdown(three_tier: LoadedManifest) -> None:
    text = fenced(render_mermaid(three_tier))
    assert text.startswith("```mermaid\n---\n") and text.endswith("\n```\n")
