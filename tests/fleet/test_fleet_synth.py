"""Targets, startup order, secrets, protected data and shared state, as synthesized Terraform JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleetform.errors import InputError
from fleetform.synth.inputs import load_inputs
from fleetform.synth.synthesize import synthesize

SITE = """\
networks: {lan: 10}
templates: {uefi: tmpl-uefi, bios: tmpl-bios}
variables: {tier_name: web}
applications:
  shop:
    variables: {app_replicas: 2}
clusters:
  - name: store-1
    host: http://127.0.0.1:9001
    selector: ["environment:production"]
    variables: {app_replicas: 3}
  - name: store-2
    id: "c0ffee"
    host: http://127.0.0.1:9002
    networks: {lan: 20}
    selector: ["environment:production"]
  - name: lab
    host: http://127.0.0.1:9003
    selector: ["environment:test"]
"""

SHOP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
  labels: ["environment:production"]
spec:
  resources:
    - type: virdomain
      name: "app-{{ instance_id }}"
      x-fleetform:
        replicas: "{{ app_replicas }}"
        depends_on: [db]
      spec:
        description: "on {{ clusterName }} ({{ clusterId }})"
        cpu: 2
        memory: 1GiB
        machine_type: uefi
        state: running
        network_devices: [{name: lan, type: virtio}]
    - type: virdomain
      name: db
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
          - {name: data, type: virtio_disk, capacity: 20GiB}
        cloud_init_data:
          user_data: |
            #cloud-config
            chpasswd:
              list: "root:{{ secret('db_root_password') }}"
    - type: virdomain
      name: web
      x-fleetform:
        depends_on: ["app-{{ instance_id }}"]
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
"""


def project(tmp_path: Path, site: str = SITE, shop: str = SHOP) -> tuple[Path, Path]:
    (tmp_path / "manifests").mkdir(parents=True, exist_ok=True)
    (tmp_path / "manifests" / "shop.yaml").write_text(shop)
    (tmp_path / "fleetform.yaml").write_text(site)
    return tmp_path / "manifests", tmp_path / "fleetform.yaml"


def synth(tmp_path: Path, site: str = SITE, shop: str = SHOP, **options: Any) -> dict[str, Any]:
    manifests, config = project(tmp_path, site, shop)
    result = synthesize([manifests], config_path=config, outdir=tmp_path / "out", **options)
    return {s: json.loads(result.stack_file(s).read_text()) for s in result.stacks}


def test_labels_pick_the_clusters_and_each_pair_is_one_stack(tmp_path: Path) -> None:
    stacks = synth(tmp_path)
    assert sorted(stacks) == ["shop--store-1", "shop--store-2"]


def test_each_stack_has_its_cluster_provider_with_credentials_from_variables(tmp_path: Path) -> None:
    stack = synth(tmp_path)["shop--store-1"]
    assert stack["provider"]["hypercore"] == [
        {
            "host": "http://127.0.0.1:9001",
            "username": "${var.hc_username_store_1}",
            "password": "${var.hc_password_store_1}",
        }
    ]
    assert stack["variable"]["hc_password_store_1"]["sensitive"] is True
    assert "default" not in stack["variable"]["hc_password_store_1"]


def test_cluster_variables_and_networks_apply_per_target(tmp_path: Path) -> None:
    stacks = synth(tmp_path)
    one, two = stacks["shop--store-1"], stacks["shop--store-2"]
    assert sorted(one["resource"]["hypercore_vm"]) == ["app-01", "app-02", "app-03", "db", "web"]
    assert sorted(two["resource"]["hypercore_vm"]) == ["app-01", "app-02", "db", "web"]
    assert two["resource"]["hypercore_vm"]["app-01"]["description"] == "on store-2 (c0ffee)"
    assert one["resource"]["hypercore_nic"]["app-01__lan"]["vlan"] == 10
    assert two["resource"]["hypercore_nic"]["app-01__lan"]["vlan"] == 20


def test_each_stack_has_its_own_state(tmp_path: Path) -> None:
    stacks = synth(tmp_path)
    paths = {name: s["terraform"]["backend"]["local"]["path"] for name, s in stacks.items()}
    assert paths["shop--store-1"].endswith("state/shop--store-1.tfstate")
    assert paths["shop--store-2"].endswith("state/shop--store-2.tfstate")


def test_pg_backend_takes_a_schema_per_stack_and_no_connection_string(tmp_path: Path) -> None:
    stacks = synth(tmp_path, SITE.replace("clusters:", "state: {backend: pg}\nclusters:"))
    assert stacks["shop--store-1"]["terraform"]["backend"] == {
        "pg": {"schema_name": "fleetform_shop__store_1"}
    }


def test_power_on_waits_for_the_vms_it_depends_on(tmp_path: Path) -> None:
    stack = synth(tmp_path)["shop--store-1"]
    power = stack["resource"]["hypercore_vm_power_state"]
    assert "hypercore_vm_power_state.db" in power["app-02"]["depends_on"]
    web = [d for d in power["web"]["depends_on"] if d.startswith("hypercore_vm_power_state")]
    assert web == [f"hypercore_vm_power_state.app-0{i}" for i in (1, 2, 3)]
    assert not any(d.startswith("hypercore_vm_power_state") for d in power["db"].get("depends_on", []))


def test_startup_cycle_is_an_error_naming_the_vms(tmp_path: Path) -> None:
    shop = SHOP.replace(
        "        cpu: 2\n        memory: 2GiB", "        cpu: 2\n        memory: 2GiB", 1
    ).replace(
        "    - type: virdomain\n      name: db\n",
        "    - type: virdomain\n      name: db\n      x-fleetform: {depends_on: [web]}\n",
    )
    with pytest.raises(InputError) as caught:
        synth(tmp_path, shop=shop)
    [issue] = {i.message for i in caught.value.issues if i.is_error}
    assert issue.startswith("startup order has a cycle: ")
    assert all(name in issue for name in ("db", "web", "app-01"))


def test_secret_is_a_sensitive_variable_and_never_in_the_json(tmp_path: Path) -> None:
    stacks = synth(tmp_path)
    stack = stacks["shop--store-1"]
    assert stack["variable"]["secret_db_root_password"]["sensitive"] is True
    user_data = stack["resource"]["hypercore_vm"]["db"]["clone"]["user_data"]
    assert 'list: "root:${var.secret_db_root_password}"' in user_data
    assert "\x00" not in json.dumps(stacks)


def test_data_disks_are_protected_unless_allowed(tmp_path: Path) -> None:
    disks = synth(tmp_path / "a")["shop--store-1"]["resource"]["hypercore_disk"]
    assert disks["db__data"]["lifecycle"] == {"prevent_destroy": True}
    assert "lifecycle" not in disks["db__system"]
    allowed = synth(tmp_path / "b", allow_data_loss=True)["shop--store-1"]["resource"]["hypercore_disk"]
    assert "lifecycle" not in allowed["db__data"]
    per_vm = SHOP.replace("      name: db\n", "      name: db\n      x-fleetform: {allow_data_loss: true}\n")
    assert (
        "lifecycle"
        not in synth(tmp_path / "c", shop=per_vm)["shop--store-1"]["resource"]["hypercore_disk"]["db__data"]
    )


def test_application_no_cluster_selects_is_a_warning_and_no_stack(tmp_path: Path) -> None:
    manifests, config = project(tmp_path, shop=SHOP.replace("environment:production", "environment:staging"))
    inputs = load_inputs([manifests], config)
    assert inputs.stacks == []
    [warning] = inputs.warnings
    assert "runs on no cluster" in warning.message


def test_error_in_one_cluster_names_the_cluster(tmp_path: Path) -> None:
    site = SITE.replace("    networks: {lan: 20}\n", "    networks: {}\n").replace(
        "networks: {lan: 10}", "networks: {}"
    )
    site = site.replace("  - name: store-1\n", "  - name: store-1\n    networks: {lan: 10}\n")
    manifests, config = project(tmp_path, site=site)
    with pytest.raises(InputError) as caught:
        load_inputs([manifests], config)
    [issue] = [i for i in caught.value.issues if i.is_error]
    assert issue.message == "unknown network 'lan' on cluster 'store-2'"
    assert (issue.location.line, issue.location.col) == (19, 34)
