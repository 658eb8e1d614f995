"""Terraform addresses map to the diagram's element ids, exactly for every address fleetform synthesizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mermaid_syntax import MermaidSyntaxError, parse

from fleetform.graph import build_diagram, disk_id, highlight_from_addresses, image_id, nic_id, vm_id
from fleetform.graph.ids import logical_id, nic_keys
from fleetform.manifest.loader import load_manifests
from fleetform.manifest.model import Application
from fleetform.site.config import load_config
from fleetform.synth.synthesize import SynthResult, synthesize

ROOT = Path(__file__).resolve().parents[2]
DRAWN_TYPES = {
    "hypercore_vm",
    "hypercore_vm_boot_order",
    "hypercore_vm_power_state",
    "hypercore_disk",
    "hypercore_nic",
    "hypercore_virtual_disk",
    "hypercore_iso",
}


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    out = tmp_path_factory.mktemp("graph-seed") / "cdktf.out"
    return synthesize([ROOT / "manifests"], config_path=ROOT / "fleetform.yaml", outdir=out)


def test_every_synthesized_address_maps_to_a_drawn_element(seed: SynthResult) -> None:
    site = load_config(ROOT / "fleetform.yaml")
    for lm in load_manifests([ROOT / "manifests"]):
        resources = json.loads(seed.stack_file(lm.name).read_text())["resource"]
        addresses = {
            f"{t}.{n}": "create" for t, names in resources.items() if t in DRAWN_TYPES for n in names
        }
        highlight = highlight_from_addresses(addresses, lm)
        drawn = {node.id for node in build_diagram(lm, site).nodes}
        assert set(highlight) <= drawn, lm.name
        app = lm.application
        expected = len(app.spec.assets) + sum(
            1 + len(vm.spec.storage_devices) + len(vm.spec.network_devices) for vm in app.spec.resources
        )
        assert len(highlight) == expected, lm.name
        assert highlight_from_addresses(addresses) == highlight  # seed names survive Terraform unchanged


def test_addresses_map_to_element_ids() -> None:
    highlight = highlight_from_addresses(
        {
            "hypercore_vm.web-01": "create",
            "hypercore_disk.web-01__system": "update",
            "hypercore_nic.web-01__lan__2": "delete",
            "hypercore_virtual_disk.ubuntu": "replace",
            "hypercore_iso.installer": "create",
            "data.hypercore_vms.template-uefi": "read",
            "hypercore_vm_snapshot.web-01": "create",
        }
    )
    assert highlight == {
        vm_id("web-01"): "create",
        disk_id("web-01", "system"): "update",
        nic_id("web-01", "lan__2"): "delete",
        image_id("ubuntu"): "replace",
        image_id("installer"): "create",
    }


def test_boot_order_and_power_state_changes_update_their_vm() -> None:
    assert highlight_from_addresses(
        {"hypercore_vm_power_state.web-01": "create", "hypercore_vm_boot_order.db": "delete"}
    ) == {vm_id("web-01"): "update", vm_id("db"): "update"}
    assert highlight_from_addresses(
        {"hypercore_vm.web-01": "create", "hypercore_vm_power_state.web-01": "create"}
    ) == {vm_id("web-01"): "create"}


def test_strongest_change_wins_on_one_element() -> None:
    assert highlight_from_addresses(
        {
            "hypercore_vm.a": "update",
            "hypercore_vm_boot_order.a": "update",
            "module.x.hypercore_vm.a": "replace",
        }
    ) == {vm_id("a"): "replace"}


def test_no_op_and_unknown_addresses_are_skipped() -> None:
    assert highlight_from_addresses({"hypercore_vm.a": "no-op", "hypercore_disk.nodevice": "create"}) == {}


def test_module_prefix_and_index_are_ignored() -> None:
    assert highlight_from_addresses({'module.app.hypercore_vm.web["x"]': "update"}) == {
        vm_id("web"): "update"
    }


def test_unknown_change_kind_raises() -> None:
    with pytest.raises(ValueError, match="unknown change kind"):
        highlight_from_addresses({"hypercore_vm.a": "destroy"})


def test_manifest_recovers_names_terraform_changed() -> None:
    app = Application.model_validate(
        {
            "type": "Application",
            "version": "1.0.0",
            "metadata": {"name": "t"},
            "spec": {
                "assets": [{"name": "img.v1", "type": "virtual_disk", "format": "raw", "url": "https://x/y"}],
                "resources": [
                    {
                        "type": "virdomain",
                        "name": "1st.vm",
                        "spec": {
                            "cpu": 1,
                            "memory": "1GiB",
                            "machine_type": "uefi",
                            "state": "running",
                            "storage_devices": [{"name": "data__disk", "type": "virtio_disk", "capacity": 1}],
                            "network_devices": [{"name": "lan", "type": "virtio"}] * 2,
                        },
                    }
                ],
            },
        }
    )
    addresses = {
        "hypercore_vm._1st_vm": "update",
        "hypercore_disk._1st_vm__data__disk": "create",
        "hypercore_nic._1st_vm__lan__2": "delete",
        "hypercore_virtual_disk.img_v1": "create",
    }
    assert highlight_from_addresses(addresses, app) == {
        vm_id("1st.vm"): "update",
        disk_id("1st.vm", "data__disk"): "create",
        nic_id("1st.vm", "lan__2"): "delete",
        image_id("img.v1"): "create",
    }
    # Without the manifest the names come back as Terraform wrote them.
    assert highlight_from_addresses(addresses)[vm_id("1st_vm")] == "update"


def test_logical_id_makes_valid_distinct_terraform_names() -> None:
    names = [logical_id(*p) for p in [("web-01",), ("1st.vm",), ("a b", "c/d"), ("_x", "9"), ("vm", "net.1")]]
    assert names == ["web-01", "_1st_vm", "a_b__c_d", "_x__9", "vm__net_1"]


def test_nic_keys_match_the_constructs_rule() -> None:
    from fleetform.constructs.props import NicProps
    from fleetform.constructs.vm import _nic_keys

    networks = ["lan", "wan", "lan", "lan", "wan"]
    expected = [key for key, _nic in _nic_keys([NicProps(network=n, vlan=1) for n in networks])]
    assert nic_keys(networks) == expected == ["lan", "wan", "lan__2", "lan__3", "wan__2"]


# --- the test's own Mermaid checker ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'flowchart LR\n    a["x"]\n    a --> b\n',
        'flowchart LR\n    subgraph g["x"]\n    a["x"]\n',
        "flowchart LR\n    end\n",
        'flowchart LR\n    a["say "hi""]\n',
        'flowchart LR\n    a["<b>x</b>"]\n',
        'flowchart LR\n    end["x"]\n',
        'flowchart LR\n    a["x"]\n    class a create\n',
        'graph TD\n    a["x"]\n',
    ],
)
def test_mermaid_checker_rejects_broken_text(text: str) -> None:
    with pytest.raises(MermaidSyntaxError):
        parse(text)
