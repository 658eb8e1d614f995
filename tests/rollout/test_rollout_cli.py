"""``fleetform rollout`` refuses before applying anything, as ``apply`` does; ``fleetform status`` filters.

The plan directories here are written in code (no Terraform): what is checked is the refusal, not the apply.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetform.cli import _app, app
from fleetform.review.bundle import PlanIndex, StackEntry, write_index
from fleetform.terraform.plans import config_hash
from fleetform.terraform.rollout.records import STATUS_FILE, Event, FileStore

SITE = """\
networks: {lan: 10}
templates: {uefi: tmpl-uefi}
clusters:
  - {name: store-1, host: "http://127.0.0.1:1", labels: [canary, "region:eu"]}
  - {name: store-2, host: "http://127.0.0.1:2", labels: ["region:eu"]}
  - {name: store-3, host: "http://127.0.0.1:3", labels: ["region:us"]}
"""
ROLLOUT = """\
rollout:
  waves:
    - {name: canary, labels: [canary]}
"""
SHOP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        network_devices: [{name: lan, type: virtio}]
"""
WAVES = {"store-1": (1, "canary"), "store-2": (2, "rest"), "store-3": (2, "rest")}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "fleetform.yaml").write_text(SITE + ROLLOUT)
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "shop.yaml").write_text(SHOP)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_plans(project: Path, **entries: dict[str, object]) -> Path:
    """A plan directory for the three stacks, planned with changes in their waves; ``entries`` override."""
    out = project / "plans"
    index = PlanIndex(created="2026-01-01T00:00:00Z", project=str(project), commit="c0ffee")
    for cluster, (number, name) in WAVES.items():
        stack = f"shop--{cluster}"
        workdir = project / "cdktf.out" / "stacks" / stack
        workdir.mkdir(parents=True, exist_ok=True)
        backend = {"local": {"path": f"../../../state/{stack}.tfstate"}}
        (workdir / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": backend}, "resource": {}}))
        (out / stack).mkdir(parents=True, exist_ok=True)
        (out / stack / "tfplan").write_bytes(b"plan")
        (out / stack / "plan.json").write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
        fields: dict[str, object] = {
            "status": "planned",
            "changes": True,
            "workdir": f"cdktf.out/stacks/{stack}",
            "config_hash": config_hash(workdir),
            "application": "shop",
            "cluster": cluster,
            "wave": number,
            "wave_name": name,
            **entries.get(stack, {}),
        }
        index.stacks[stack] = StackEntry.model_validate(fields)
    write_index(out, index)
    return out


def rollout(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["rollout", *args])
    return result.exit_code, result.output


def test_a_site_without_waves_rolls_out_as_one_wave(project: Path) -> None:
    (project / "fleetform.yaml").write_text(SITE)
    write_plans(project, **{f"shop--{c}": {"wave": None, "wave_name": None} for c in WAVES})
    result = CliRunner().invoke(app, ["rollout", "--list"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "count": 1,
        "waves": {
            "1": {
                "name": "all",
                "approval": False,
                "stacks": 3,
                "shards": ["shop--store-1", "shop--store-2", "shop--store-3"],
            }
        },
    }
    # Plans reviewed with waves do not fit a site that has none any more.
    write_plans(project)
    code, output = rollout()
    assert code == 1 and "fleetform.yaml has no rollout: any more" in output


def test_the_waves_as_a_ci_matrix(project: Path) -> None:
    write_plans(project, **{"shop--store-3": {"changes": False}})
    result = CliRunner().invoke(app, ["rollout", "--list", "--max-jobs", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "count": 2,
        "waves": {
            "1": {"name": "canary", "approval": False, "stacks": 1, "shards": ["shop--store-1"]},
            "2": {"name": "rest", "approval": False, "stacks": 1, "shards": ["shop--store-2"]},
        },
    }


def test_plans_made_before_the_waves_are_refused(project: Path) -> None:
    write_plans(project, **{"shop--store-2": {"wave": None, "wave_name": None}})
    code, output = rollout()
    assert code == 1 and "refused: nothing was applied" in output
    assert "shop--store-2: planned without waves" in output


def test_waves_changed_since_the_review_are_refused(project: Path) -> None:
    write_plans(project)
    (project / "fleetform.yaml").write_text(
        SITE
        + 'rollout:\n  waves:\n    - {name: canary, labels: [canary]}\n    - {name: eu, labels: ["region:eu"]}\n'
    )
    code, output = rollout()
    assert code == 1
    assert (
        "shop--store-3: planned in wave 2 rest, now in wave 3 rest: the waves changed since the review"
        in output
    )


def test_stale_and_failed_plans_are_refused_as_apply_refuses_them(project: Path) -> None:
    plans = write_plans(
        project, **{"shop--store-3": {"status": "failed", "message": "terraform plan failed"}}
    )
    (project / "cdktf.out" / "stacks" / "shop--store-2" / "cdk.tf.json").write_text("{}")
    code, output = rollout(str(plans))
    assert code == 1
    assert "shop--store-2: stale: the Terraform JSON" in output
    assert "shop--store-3: the plan was failed: terraform plan failed" in output
    apply = CliRunner().invoke(app, ["apply", str(plans)])
    for line in ("shop--store-2: stale: the Terraform JSON", "shop--store-3: the plan was failed"):
        assert line in apply.output
    assert not (plans / "rollout.json").exists()


def test_nothing_to_roll_out_when_every_plan_was_applied(project: Path) -> None:
    applied = {"applied": "2026-01-01T00:01:00Z"}
    write_plans(project, **{f"shop--{c}": applied for c in WAVES})
    result = CliRunner().invoke(app, ["rollout", "--format", "json", "--no-gate"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "completed"
    assert {s["state"] for w in data["waves"] for s in w["stacks"]} == {"applied-before"}


def test_status_rows_filters_and_json(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(project / "state" / STATUS_FILE)
    store.write(
        [
            Event("shop--store-1", "store-1", "applied", application="shop", revision="aaaa1111", wave=1),
            Event("shop--store-2", "store-2", "applied", application="shop", revision="aaaa1111", wave=2),
            Event(
                "shop--store-2", "store-2", "failed", application="shop", revision="bbbb2222", message="boom"
            ),
            Event("old--store-3", "store-3", "applied", application="old", revision="aaaa1111"),
        ]
    )
    result = CliRunner().invoke(app, ["status", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {row["stack"]: row for row in data["stacks"]}
    assert (rows["shop--store-1"]["result"], rows["shop--store-1"]["wave"]) == ("applied", "1 canary")
    assert (rows["shop--store-2"]["result"], rows["shop--store-2"]["revision"]) == ("failed", "aaaa1111")
    assert rows["shop--store-2"]["attempted"] == "bbbb2222"
    assert rows["shop--store-3"]["result"] == "pending"
    assert rows["old--store-3"]["gone"] is True
    assert data["counts"] == {"applied": 2, "failed": 1, "pending": 1}

    def stacks(*args: str) -> list[str]:
        found = CliRunner().invoke(app, ["status", "--format", "json", *args])
        assert found.exit_code == 0, found.output
        return sorted(row["stack"] for row in json.loads(found.stdout)["stacks"])

    assert stacks("--result", "failed") == ["shop--store-2"]
    assert stacks("--label", "region:eu") == ["shop--store-1", "shop--store-2"]
    assert stacks("--label", "region:eu", "--label", "canary") == ["shop--store-1"]
    assert stacks("--app", "old") == ["old--store-3"]
    assert stacks("--cluster", "store-3,store-1", "--result", "pending,applied") == [
        "old--store-3",
        "shop--store-1",
        "shop--store-3",
    ]
    # The console's width is fixed when fleetform.cli is first imported (by whichever test, in this worker).
    monkeypatch.setattr(_app.out, "width", 200)
    table = CliRunner().invoke(app, ["status"])
    assert "attempted bbbb2222: boom" in table.output
    bad = CliRunner().invoke(app, ["status", "--result", "broken"])
    assert bad.exit_code == 1 and "unknown result broken" in bad.output


def test_the_ci_gate_job_counts_the_shards_failures_from_the_records(project: Path) -> None:
    write_plans(project)
    created = "2026-01-01T00:00:00Z"
    store = FileStore(project / "state" / STATUS_FILE)
    # A record of an older plan set does not count: only what the shards of these plans wrote.
    store.write([Event("shop--store-1", "store-1", "applied", revision="c0ffee", plan="older")])

    def gate(wave: int) -> tuple[int, dict[str, object]]:
        result = CliRunner().invoke(app, ["rollout", "--wave", str(wave), "--gate-only", "--format", "json"])
        return result.exit_code, json.loads(result.stdout)

    code, data = gate(1)
    assert code == 1 and data["outcome"] == "stopped"
    [wave] = data["waves"]  # type: ignore[misc]
    assert [(s["name"], s["state"], s["message"]) for s in wave["stacks"]] == [
        ("shop--store-1", "failed", "not applied by the wave's jobs")
    ]
    store.write([Event("shop--store-1", "store-1", "applied", revision="c0ffee", plan=created)])
    code, data = gate(1)
    assert code == 0 and data["outcome"] == "completed", data
    store.write(
        [
            Event("shop--store-2", "store-2", "applied", revision="c0ffee", plan=created),
            Event(
                "shop--store-3", "store-3", "failed", revision="c0ffee", plan=created, message="apply failed"
            ),
        ]
    )
    code, data = gate(2)
    assert code == 1 and data["stopped_at"] == 2
    states = {s["name"]: (s["state"], s["message"]) for w in data["waves"] for s in w["stacks"]}  # type: ignore[attr-defined]
    assert states == {
        "shop--store-2": ("healthy", "0 VMs healthy"),
        "shop--store-3": ("failed", "apply failed"),
    }
