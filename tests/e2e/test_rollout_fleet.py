"""Staged rollouts with real Terraform against a simulated fleet of 20 clusters (one simulator process).

One fleet and one project for the module; each test takes the fleet from where the previous one left it:

1. a good change (the first deploy) rolls out wave by wave, in order (read from each cluster's request log),
   and ``status`` shows every stack applied at its commit;
2. a bad change (an image that fails) stops after the first wave: later waves untouched (their requests and
   VMs through REST), ``status`` names exactly the failed stacks;
3. the fixed change, which also makes the health gate wait for guest IPs, stops after the first wave where a
   cluster's VMs never report one; once the cluster is fixed, the same plans resume and complete, and no
   stack was applied twice;
4. a rollout interrupted (SIGINT) in its last wave resumes and completes without applying a stack twice.

Waves: ``canary`` (the two clusters labelled canary, budget 0), ``early`` (25% of the rest: five clusters),
and the implicit ``rest`` (13 clusters); at most five stacks at once.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.fleetbox import TEMPLATES, VLANS, FleetBox

from fleetform.simulator.testing import RunningFleet, run_fleet_in_thread

pytestmark = pytest.mark.e2e

CLUSTERS = 20
CANARY = ["cluster-01", "cluster-02"]
EARLY = [f"cluster-{n:02d}" for n in range(3, 8)]
REST = [f"cluster-{n:02d}" for n in range(8, CLUSTERS + 1)]
WAVES = [CANARY, EARLY, REST]
CACHE_IMAGE = "https://images.example.com/cache-v2.img"

SHOP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
{health}spec:
  assets:{assets}
  resources:
    - type: virdomain
      name: shop-web
      spec:
        cpu: {cpu}
        memory: 1GiB
        machine_type: uefi
        state: running
        network_devices:
          - {{name: lan, type: virtio}}
{cache}"""
CACHE_ASSET = """
    - {name: cache-img, type: virtual_disk, format: raw, url: "https://images.example.com/cache-v2.img"}"""
CACHE_VM = """\
    - type: virdomain
      name: cache
      spec:
        cpu: 1
        memory: 512MiB
        machine_type: bios
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, source: cache-img, capacity: 2GiB, boot: 1}
        network_devices:
          - {name: lan, type: virtio}
"""
GUEST_IP = "x-fleetform:\n  health: {guest_ip: true}\n"


def shop(*, cpu: int = 1, cache: bool = False, guest_ip: bool = False) -> str:
    return SHOP.format(
        cpu=cpu,
        assets=CACHE_ASSET if cache else " []",
        cache=CACHE_VM if cache else "",
        health=GUEST_IP if guest_ip else "",
    )


@dataclass
class Scene:
    box: FleetBox
    fleet: RunningFleet
    commits: dict[str, str] = field(default_factory=dict)

    def stack(self, cluster: str) -> str:
        return f"shop--{cluster}"

    def plan(self) -> None:
        done = self.box.fleetform("plan", "--parallel", "4")
        assert done.returncode == 0, done.stderr[-3000:]

    def rollout(self, *args: str) -> tuple[int, dict[str, Any]]:
        done = self.box.fleetform("rollout", "--format", "json", *args)
        assert done.stdout, done.stderr[-3000:]
        return done.returncode, json.loads(done.stdout)

    def mutations(self, cluster: str, since: float) -> list[dict[str, Any]]:
        """The cluster's mutating REST requests since ``since`` (logins left out)."""
        return [
            r
            for r in self.fleet[cluster].admin.requests()
            if r["time"] >= since and not r["path"].endswith(("/login", "/logout"))
        ]

    def states(self, result: dict[str, Any]) -> dict[str, str]:
        return {s["cluster"]: s["state"] for w in result["waves"] for s in w["stacks"]}

    def status(self, *args: str) -> dict[str, dict[str, Any]]:
        return {row["cluster"]: row for row in self.box.status(*args)}


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[Scene]:
    root = tmp_path_factory.mktemp("rollout")
    with run_fleet_in_thread(
        CLUSTERS, templates=TEMPLATES, vlans=VLANS, guest_agent=True, data_dir=root / "fleet"
    ) as fleet:
        box = FleetBox(
            root / "project",
            fleet,
            cli_config,
            labels={name: ["canary"] for name in CANARY},
            rollout={
                "max_parallel": 5,
                "failure_budget": "20%",
                "health": {"timeout": "4s", "interval": "0.2s"},
                "waves": [
                    {"name": "canary", "labels": ["canary"], "failure_budget": 0},
                    {"name": "early", "share": "25%"},
                ],
            },
            images={CACHE_IMAGE: "missing-cache-v2.img"},
        )
        yield Scene(box, fleet)


def test_a_good_change_rolls_out_wave_by_wave_in_order(scene: Scene) -> None:
    scene.box.write_manifest("shop", shop())
    scene.commits["v1"] = scene.box.commit("v1: the shop")
    scene.plan()
    review = scene.box.fleetform("review", "plans", "--format", "json", check=True)
    waves = {s["name"]: s["wave_name"] for s in json.loads(review.stdout)["stacks"]}
    assert waves == {
        **{scene.stack(c): "canary" for c in CANARY},
        **{scene.stack(c): "early" for c in EARLY},
        **{scene.stack(c): "rest" for c in REST},
    }
    started = time.time()
    code, result = scene.rollout()
    assert code == 0, result
    assert result["outcome"] == "completed"
    assert [(w["name"], w["state"]) for w in result["waves"]] == [
        ("canary", "passed"),
        ("early", "passed"),
        ("rest", "passed"),
    ]
    assert set(scene.states(result).values()) == {"healthy"}
    # Every request of a wave came after every request of the wave before (the simulator's own logs).
    spans = []
    for clusters in WAVES:
        times = [r["time"] for c in clusters for r in scene.mutations(c, started)]
        assert times and all(scene.mutations(c, started) for c in clusters)
        spans.append((min(times), max(times)))
    assert spans[0][1] < spans[1][0] and spans[1][1] < spans[2][0], spans
    rows = scene.status()
    assert {c: (r["result"], r["revision"]) for c, r in rows.items()} == {
        c: ("applied", scene.commits["v1"]) for clusters in WAVES for c in clusters
    }
    for cluster in CANARY + REST[-1:]:
        assert scene.box.vms(scene.fleet[cluster])["shop-web"]["state"] == "RUNNING"


def test_a_bad_image_stops_after_the_first_wave(scene: Scene) -> None:
    scene.box.write_manifest("shop", shop(cache=True))
    scene.commits["v2"] = scene.box.commit("v2: a cache VM from an image that is not there")
    scene.plan()
    later = EARLY + REST
    before = {c: scene.box.vms(scene.fleet[c]) for c in later}
    started = time.time()
    code, result = scene.rollout()
    assert code == 1 and result["outcome"] == "stopped" and result["stopped_at"] == 1
    states = scene.states(result)
    assert {c: states[c] for c in CANARY} == {c: "failed" for c in CANARY}
    assert {states[c] for c in later} == {"not started"}
    assert [w["state"] for w in result["waves"]] == ["stopped", "not started", "not started"]
    assert any("plan" in line for line in result["next"])
    # Later waves untouched: no request changed anything there, and their VMs read back the same.
    assert {c: scene.mutations(c, started) for c in later} == {c: [] for c in later}
    assert {c: scene.box.vms(scene.fleet[c]) for c in later} == before
    failed = scene.status("--result", "failed")
    assert sorted(failed) == CANARY
    messages = {cluster: row["message"] for cluster, row in failed.items()}
    # The provider's words name the virtual disk and its source path; a long path is cut short in the record.
    assert all("virtual disk" in message or "cache-v2.img" in message for message in messages.values()), (
        messages
    )
    assert all(row["revision"] == scene.commits["v1"] for row in failed.values())
    pending = scene.status("--result", "pending")
    assert sorted(pending) == sorted(later)
    assert {row["attempted"] for row in pending.values()} == {scene.commits["v2"]}


def test_the_fixed_change_resumes_and_completes_without_applying_twice(scene: Scene) -> None:
    # The fix: the image is there. The change also makes the gate wait for guest IPs, and on one canary
    # cluster the VMs never report one (its guest agent is off).
    (scene.box.root / "images" / "cache-v2.img").write_bytes(b"\0" * 510 + b"\x55\xaa" + b"\0" * (1 << 20))
    scene.box.images = {CACHE_IMAGE: "cache-v2.img"}
    scene.box.write_site()
    scene.box.write_manifest("shop", shop(cache=True, guest_ip=True))
    scene.commits["v3"] = scene.box.commit("v3: the image is there; wait for guest IPs")
    scene.fleet["cluster-02"].admin.set_timing(guest_agent=False)
    scene.plan()
    later = EARLY + REST
    before = {c: scene.box.vms(scene.fleet[c]) for c in later}
    started = time.time()
    code, result = scene.rollout()
    assert code == 1 and result["stopped_at"] == 1, result
    states = scene.states(result)
    assert (states["cluster-01"], states["cluster-02"]) == ("healthy", "unhealthy")
    assert {c: scene.mutations(c, started) for c in later} == {c: [] for c in later}
    assert {c: scene.box.vms(scene.fleet[c]) for c in later} == before
    failed = scene.status("--result", "failed")
    assert list(failed) == ["cluster-02"]
    assert "no guest IP address" in failed["cluster-02"]["message"]
    assert scene.status("--cluster", "cluster-01")["cluster-01"]["revision"] == scene.commits["v3"]

    # The cluster is fixed; the same plans resume: the canary wave is gated again, the rest applied.
    scene.fleet["cluster-02"].admin.set_timing(guest_agent=True)
    code, result = scene.rollout()
    assert code == 0 and result["outcome"] == "completed", result
    states = scene.states(result)
    assert {states[c] for c in CANARY} == {"healthy"}
    assert {states[c] for c in later} == {"healthy"}
    rows = scene.status()
    assert {c: (r["result"], r["revision"]) for c, r in rows.items()} == {
        c: ("applied", scene.commits["v3"]) for clusters in WAVES for c in clusters
    }
    # Nothing applied twice: one clone of the cache VM and one image upload per cluster, over v2 and v3.
    for cluster in CANARY + later:
        requests = scene.fleet[cluster].admin.requests()
        clones = [r for r in requests if r["path"].endswith("/clone") and '"cache"' in json.dumps(r["body"])]
        uploads = [r for r in requests if r["path"].startswith("/rest/v1/VirtualDisk/upload")]
        assert (len(clones), len(uploads)) == (1, 1), (cluster, clones, uploads)
        assert scene.box.vms(scene.fleet[cluster])["cache"]["state"] == "RUNNING"


def test_an_interrupted_rollout_resumes_without_applying_a_stack_twice(scene: Scene) -> None:
    scene.box.write_manifest("shop", shop(cpu=2, cache=True, guest_ip=True))
    scene.commits["v4"] = scene.box.commit("v4: two vCPUs")
    scene.plan()
    started = time.time()
    process = scene.box.start("rollout", "--format", "json")
    journal = scene.box.root / "plans" / "rollout.json"
    deadline = time.monotonic() + 120
    while True:  # interrupt once the last wave has applied a stack
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the last wave never started"
        try:
            stacks = json.loads(journal.read_text())["stacks"]
        except (OSError, ValueError, KeyError):
            stacks = {}
        if any(scene.stack(c) in stacks and stacks[scene.stack(c)]["state"] == "applied" for c in REST):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    result = json.loads(stdout)
    assert result["outcome"] == "interrupted"
    states = scene.states(result)
    done = [c for c in REST if states[c] == "applied"]
    assert done and len(done) < len(REST), states
    assert {states[c] for c in REST} <= {"applied", "not started"}, states
    assert {states[c] for c in CANARY + EARLY} == {"healthy"}
    interrupted_at = time.time()

    code, result = scene.rollout()
    assert code == 0 and result["outcome"] == "completed", result
    assert [w["state"] for w in result["waves"]] == ["passed before", "passed before", "passed"]
    # The stacks applied before the interrupt were not applied again; every cluster got its change once.
    for cluster in done:
        assert scene.mutations(cluster, interrupted_at) == []
    for cluster in CANARY + EARLY + REST:
        web = scene.box.vms(scene.fleet[cluster])["shop-web"]
        changes = [
            r
            for r in scene.mutations(cluster, started)
            if r["method"] == "PATCH" and r["path"] == f"/rest/v1/VirDomain/{web['uuid']}"
        ]
        assert len(changes) == 1 and web["numVCPU"] == 2, (cluster, changes)
    rows = scene.status()
    assert {r["revision"] for r in rows.values()} == {scene.commits["v4"]}
    assert {r["result"] for r in rows.values()} == {"applied"}
