"""Pieces of ``fleetform plan`` that need no Terraform: tombstones, change detection, CI shards, hashes."""

from __future__ import annotations

import json
from pathlib import Path

from fleetform.site.config import parse_config
from fleetform.terraform.plans import changed_stacks, config_hash, shards, tombstone

SITE = """\
networks: {lan: 10}
templates: {uefi: tmpl-uefi}
state: {backend: pg}
clusters:
  - name: store-1
    host: http://10.0.0.1
"""


def test_tombstone_of_a_cluster_stack_keeps_its_provider_and_pg_backend(tmp_path: Path) -> None:
    site = parse_config(SITE, tmp_path / "fleetform.yaml")
    cluster = site.clusters[0]
    data = tombstone("shop--store-1", site.for_cluster(cluster), cluster, tmp_path / "work")
    assert data["terraform"]["backend"] == {"pg": {"schema_name": "fleetform_shop__store_1"}}
    assert data["provider"]["hypercore"] == [
        {
            "host": "http://10.0.0.1",
            "password": "${var.hc_password_store_1}",
            "username": "${var.hc_username_store_1}",
        }
    ]
    assert set(data["variable"]) == {"hc_password_store_1", "hc_username_store_1"}
    assert all(v["sensitive"] for v in data["variable"].values())
    assert "resource" not in data


def test_tombstone_with_local_state_points_at_the_state_file(tmp_path: Path) -> None:
    site = parse_config("networks: {}\nstate: {backend: local, dir: state}\n", tmp_path / "fleetform.yaml")
    data = tombstone("old", site, None, tmp_path / "cdktf.out" / "tombstones" / "old")
    assert data["terraform"]["backend"] == {"local": {"path": "../../../state/old.tfstate"}}
    assert data["provider"] == {"hypercore": [{}]}


def write_stack(root: Path, name: str, data: dict[str, object]) -> None:
    (root / "stacks" / name).mkdir(parents=True, exist_ok=True)
    (root / "stacks" / name / "cdk.tf.json").write_text(json.dumps(data))


def test_changed_stacks_ignore_cdktf_metadata_and_find_removed_ones(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write_stack(base, "same", {"//": {"metadata": {"version": "1"}}, "resource": {"a": 1}})
    write_stack(head, "same", {"//": {"metadata": {"version": "2"}}, "resource": {"a": 1}})
    write_stack(base, "changed", {"resource": {"a": 1}})
    write_stack(head, "changed", {"resource": {"a": 2}})
    write_stack(head, "added", {"resource": {}})
    write_stack(base, "removed", {"resource": {}})
    assert changed_stacks(base, head) == (["added", "changed"], ["removed"])


def test_shards_split_stacks_into_at_most_max_jobs_groups() -> None:
    names = [f"s{n}" for n in range(7)]
    groups = shards(names, 3)
    assert len(groups) == 3
    assert sorted(n for g in groups for n in g.split(",")) == names
    assert shards(["a"], 20) == ["a"] and shards([], 20) == []


def test_config_hash_covers_every_terraform_json_file(tmp_path: Path) -> None:
    (tmp_path / "cdk.tf.json").write_text("{}")
    first = config_hash(tmp_path)
    (tmp_path / "imports.tf.json").write_text("{}")
    assert config_hash(tmp_path) != first
    (tmp_path / "notes.txt").write_text("not Terraform")
    (tmp_path / "imports.tf.json").unlink()
    assert config_hash(tmp_path) == first
