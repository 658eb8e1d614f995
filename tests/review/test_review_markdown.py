"""The review comment: order, escaping, and the size limit (synthetic plans; real ones in the e2e tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planfactory import PRIOR, boot_order, disk, plan_json, power, rc, vm, write_bundle

from fleetform.review import MARKER, build_review, load_bundle, render_json, render_markdown
from fleetform.review.markdown import cell, code
from fleetform.review.model import Review


def many_vms(count: int) -> dict[str, Any]:
    """A plan that creates ``count`` VMs with a disk, a NIC, boot order and power state each, and destroys a
    VM with a data disk."""
    changes = [
        rc(a, ["delete"], v, None, action_reason="delete_because_no_resource_config")
        for a, v in PRIOR.items()
    ]
    for n in range(count):
        name = f"app-{n:03d}"
        changes += [
            rc(f"hypercore_vm.{name}", ["create"], None, vm(name, id=None), after_unknown={"id": True}),
            rc(f"hypercore_disk.{name}__system", ["create"], None, disk(None, 21.47483648, vm_uuid=None)),
            rc(
                f"hypercore_nic.{name}__web-net",
                ["create"],
                None,
                {"vm_uuid": None, "type": "VIRTIO", "vlan": 20},
            ),
            rc(
                f"hypercore_vm_boot_order.{name}",
                ["create"],
                None,
                boot_order([]),
                after_unknown={"boot_devices": True},
            ),
            rc(f"hypercore_vm_power_state.{name}", ["create"], None, power()),
        ]
    return plan_json(changes, PRIOR)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Review:
    directory = write_bundle(tmp_path_factory.mktemp("big") / "plans", {"fleet": many_vms(400)})
    return build_review(load_bundle([directory]))


def test_summary_comes_first_then_dangers_then_details(big: Review) -> None:
    text = render_markdown(big)
    assert text.startswith(MARKER + "\n## 🛑 fleetform plan review: dangerous changes")
    order = [
        text.index(s)
        for s in ("| `fleet` |", "### 🛑 Dangerous changes", "### Changes by stack", "Cut to stay")
    ]
    assert order == sorted(order)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=2000, max_value=70000))
def test_comment_never_exceeds_the_limit_and_keeps_summary_and_dangers(big: Review, limit: int) -> None:
    review = big
    text = render_markdown(review, max_chars=limit)
    assert len(text) <= limit
    assert "| `fleet` |" in text and "DATA DISK" in text
    if len(render_markdown(review, max_chars=10**7)) > limit:
        assert "Cut to stay under" in text or "cut at the size limit" in text


def test_what_was_cut_is_counted(big: Review) -> None:
    text = render_markdown(big, max_chars=20000)
    shown = text.count("**: created")
    assert f"details of {400 - shown} VMs" in text


def test_everything_fits_when_it_can(tmp_path: Path) -> None:
    directory = write_bundle(tmp_path / "plans", {"small": many_vms(2)})
    text = render_markdown(build_review(load_bundle([directory])))
    assert "Cut to stay" not in text
    assert text.count("**: created") == 2


def test_quiet_stacks_collapse_into_one_row(tmp_path: Path) -> None:
    plans = {
        f"s{n:02d}": plan_json([rc("hypercore_vm.web", ["no-op"], vm(), vm())], PRIOR) for n in range(12)
    }
    plans["busy"] = plan_json([rc("hypercore_vm.web", ["update"], vm(), vm(vcpu=3))], PRIOR)
    text = render_markdown(build_review(load_bundle([write_bundle(tmp_path / "plans", plans)])))
    assert "*12 stacks without changes*" in text and "| `busy` |" in text
    assert text.startswith(MARKER + "\n## ✅ fleetform plan review\n")


def test_nothing_planned_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    text = render_markdown(build_review(load_bundle([tmp_path / "empty"])))
    assert "Nothing was planned" in text


def test_names_with_markdown_characters_are_escaped() -> None:
    assert cell("a|b\nc <x>") == "a\\|b c &lt;x&gt;"
    assert code("has `tick`") == "`` has `tick` ``"
    assert code("plain") == "`plain`"


def test_json_review_holds_every_vm_even_when_markdown_is_cut(big: Review) -> None:
    data = json.loads(render_json(big))
    assert len(data["stacks"][0]["vms"]) == 401
    assert data["exit_code"] == 2 and data["dangerous"] is True


def test_the_review_shows_each_stacks_rollout_wave(tmp_path: Path) -> None:
    change = plan_json([rc("hypercore_vm.web", ["update"], vm(), vm(vcpu=3))], PRIOR)
    plans = {"shop--a": change, "shop--b": change, "shop--c": change}
    waves = {"shop--a": (1, "canary"), "shop--b": (2, "rest"), "shop--c": (2, "rest")}
    entries = {name: {"wave": number, "wave_name": wave} for name, (number, wave) in waves.items()}
    review = build_review(load_bundle([write_bundle(tmp_path / "plans", plans, entries=entries)]))
    text = render_markdown(review)
    assert "| stack | wave | add | change |" in text
    assert "| `shop--a` | 1 canary | 0 | 1 |" in text and "| `shop--c` | 2 rest | 0 | 1 |" in text
    assert "rollout wave 1 canary (1) → wave 2 rest (2)" in text
    data = json.loads(render_json(review))
    assert {s["name"]: (s["wave"], s["wave_name"]) for s in data["stacks"]} == waves
    # Without waves, no column.
    plain = render_markdown(build_review(load_bundle([write_bundle(tmp_path / "other", plans)])))
    assert "| stack | add |" in plain and "wave" not in plain
