"""Day-2 operator scenarios (issue 14): each starts from the deployed seed and ends with :meth:`Scene.close`.

Seed: application ``alpha`` (VMs ``web``, with an uploaded image and two NICs, and ``db``, with a data disk) and
application ``beta`` (``cache``, and ``batch``, kept shut off), on one cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from support.scenes import ROOT, GiB, Scene, kill_tree, wait_for_apply

pytestmark = pytest.mark.e2e

WORKER = """\
    - type: virdomain
      name: worker
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, capacity: 10GiB, boot: 1}
        network_devices:
          - {name: app-net, type: virtio}
"""


def flat(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join((result.stdout + result.stderr).split())


# --- scope ------------------------------------------------------------------------------------------------


def test_partial_deploy_by_manifest_touches_nothing_else(scene: Scene) -> None:
    scene.edit("alpha", "cpu: 1\n", "cpu: 2\n")  # web
    scene.edit("beta", "cpu: 1\n", "cpu: 3\n")  # cache
    deployed = scene.deploy("-m", "manifests/alpha.yaml")
    assert not any(line.startswith("beta") for line in deployed.stdout.splitlines())
    assert "Resources: 0 added, 1 changed, 0 destroyed." in deployed.stdout
    vms = scene.vms()
    assert vms["web"]["vcpu"] == 2 and vms["cache"]["vcpu"] == 1 and "batch" in vms
    # Not even beta's files were touched: its synthesized stack and working directory are still there.
    assert (scene.root / "cdktf.out" / "stacks" / "beta" / ".terraform").is_dir()
    pending = scene.fleetform("plan", "-m", "manifests/beta.yaml", "-o", "plans-beta")
    assert pending.returncode == 0 and "1 with changes" in pending.stdout
    scene.edit("beta", "cpu: 3\n", "cpu: 1\n")
    scene.close(touched=["web"])


def test_partial_deploy_by_stacks_and_a_stack_deployed_from_elsewhere(scene: Scene) -> None:
    scene.edit("alpha", "memory: 1GiB\n", "memory: 2GiB\n")  # web
    scene.edit("beta", "memory: 1GiB\n", "memory: 2GiB\n")  # cache
    scene.deploy("--stacks", "alpha")
    vms = scene.vms()
    assert vms["web"]["mem"] == 2 * GiB and vms["cache"]["mem"] == GiB
    scene.edit("beta", "memory: 2GiB\n", "memory: 1GiB\n")
    # A stack deployed once from a manifest outside manifests/ is not an orphan of the next plain deploy.
    (scene.root / "other").mkdir()
    (scene.root / "other" / "ci.yaml").write_text(
        'type: Application\nversion: "1.0.0"\nmetadata:\n  name: ci-probe\nspec:\n  resources:\n'
        "    - type: virdomain\n      name: probe\n"
        "      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: running}\n"
    )
    scene.deploy("-m", "other/ci.yaml", "--stacks", "ci-probe")
    assert "probe" in scene.vms()
    plain = scene.deploy()
    assert "stack ci-probe (from other/ci.yaml) is not in this run's manifests: left alone" in flat(plain)
    assert "probe" in scene.vms()
    destroyed = scene.fleetform("destroy", "-m", "other/ci.yaml", "--auto-approve")
    assert destroyed.returncode == 0, flat(destroyed)
    assert "probe" not in scene.vms()
    scene.close(touched=["web"])


def test_manifest_moved_to_another_path_is_not_an_orphan(scene: Scene) -> None:
    def origin() -> str:
        state = json.loads((scene.root / "state" / "beta.tfstate").read_text())
        return str(state["outputs"]["fleetform_manifest"]["value"])

    scene.manifest("beta").rename(scene.root / "manifests" / "beta-app.yaml")
    moved = scene.deploy()
    assert "No resource changes; recording each stack's manifest in its state." in moved.stdout
    assert "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy." in moved.stdout
    assert origin() == "manifests/beta-app.yaml"
    # Moved to a directory a plain run does not read: left alone, and said where.
    (scene.root / "manifests" / "apps").mkdir()
    (scene.root / "manifests" / "beta-app.yaml").rename(scene.root / "manifests" / "apps" / "beta.yaml")
    plain = scene.deploy()
    assert "stack beta: its manifest moved to manifests/apps/beta.yaml, which this run does not read" in flat(
        plain
    )
    assert "No changes." in plain.stdout and {"cache", "batch"} <= set(scene.vms())
    scene.deploy("-m", "manifests", "-m", "manifests/apps")
    assert origin() == "manifests/apps/beta.yaml"
    scene.close()


def test_manifest_deleted_orphan_listed_confirmed_destroyed_and_data_disks_still_guarded(
    scene: Scene,
) -> None:
    # Data disks of a deleted manifest stay protected: alpha's db has one.
    alpha = scene.manifest("alpha").read_text()
    scene.manifest("alpha").unlink()
    guarded = scene.fleetform("deploy", "--auto-approve")
    assert guarded.returncode == 1
    assert "data disk 'data'" in flat(guarded) and "--allow-data-loss" in flat(guarded)
    assert "nothing was applied" in guarded.stderr and {"web", "db"} <= set(scene.vms())
    scene.manifest("alpha").write_text(alpha)
    # beta is listed as the stack of a deleted manifest; without a terminal, nothing is destroyed.
    scene.manifest("beta").unlink()
    asked = scene.fleetform("deploy")
    assert asked.returncode == 1 and "no terminal to ask on" in asked.stderr
    assert "beta (manifest deleted: manifests/beta.yaml): 9 to destroy" in asked.stdout
    assert "the manifest of stack beta was deleted" in asked.stdout
    assert {"cache", "batch"} <= set(scene.vms())
    # The cdktf deploy path (cdktf synth runs main.py) names the orphan and how to remove it.
    synth = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=scene.root,
        env={
            **scene.env(),
            "CDKTF_OUTDIR": str(scene.root / "cdktf-synth"),
            "FLEETFORM_CONFIG": "fleetform.yaml",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert synth.returncode == 0, synth.stdout + synth.stderr
    assert "stack 'beta' still has resources" in synth.stdout
    assert "manifests/beta.yaml is gone" in synth.stdout and "fleetform destroy --stacks beta" in synth.stdout
    # With a terminal: the question, answered yes, and beta is destroyed; alpha is untouched.
    confirmed = scene.with_terminal("deploy", answer="y\n")
    assert confirmed.returncode == 0, flat(confirmed)
    assert "Apply these changes?" in confirmed.stderr
    vms = scene.vms()
    assert "cache" not in vms and "batch" not in vms and {"web", "db"} <= set(vms)
    scene.close(touched=["cache", "batch"])


def test_destroy_without_a_terminal_changes_nothing(scene: Scene) -> None:
    refused = scene.fleetform("destroy", "--allow-data-loss")
    assert refused.returncode == 1
    assert "no terminal to ask on" in refused.stderr and "nothing was changed" in refused.stderr
    assert "Plan: 0 to add, 0 to change, 0 to replace, 22 to destroy." in refused.stdout
    assert set(scene.vms()) >= {"web", "db", "cache", "batch"}
    scene.close()


def test_two_applications_with_a_vm_of_the_same_name(scene: Scene) -> None:
    (scene.root / "manifests" / "gamma.yaml").write_text(
        'type: Application\nversion: "1.0.0"\nmetadata:\n  name: gamma\nspec:\n  resources:\n'
        "    - type: virdomain\n      name: web\n"
        "      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: running}\n"
    )
    validated = scene.fleetform("validate")
    text = flat(validated)
    assert validated.returncode == 1
    assert "manifests/gamma.yaml:8:13: error: VM name 'web' is also a VM of application 'alpha'" in text
    assert "(manifests/alpha.yaml:" in text
    deployed = scene.fleetform("deploy", "--auto-approve")
    assert (
        deployed.returncode == 1
        and "VM name 'web'" in flat(deployed)
        and "nothing was written" in flat(deployed)
    )
    (scene.root / "manifests" / "gamma.yaml").unlink()
    scene.close()


# --- objects changed outside fleetform ---------------------------------------------------------------------


def test_vm_disk_and_nic_deleted_out_of_band_are_created_again(scene: Scene) -> None:
    cache = scene.raw_vm("cache")
    scene.power("cache", "STOP")
    scene.delete(f"/rest/v1/VirDomain/{cache['uuid']}")
    db = scene.raw_vm("db")
    data = next(d for d in db["blockDevs"] if d["type"] == "VIRTIO_DISK" and d["capacity"] > 20 * 10**9)
    scene.power("db", "STOP")
    scene.delete(f"/rest/v1/VirDomainBlockDevice/{data['uuid']}")
    scene.power("db", "START")
    web = scene.raw_vm("web")
    nic = next(n for n in web["netDevs"] if n["vlan"] == 30)
    scene.delete(f"/rest/v1/VirDomainNetDevice/{nic['uuid']}")

    drift = scene.fleetform("drift")
    assert drift.returncode == 2, flat(drift)
    assert "deleted outside fleetform" in drift.stdout and "404" not in flat(drift)
    deployed = scene.deploy()
    text = flat(deployed)
    assert "deleted outside fleetform: will be created again" in text
    assert "taken out of its state" in text and "backups" in text and "404" not in text
    vms = scene.vms()
    assert (
        vms["cache"]["state"] == "RUNNING" and len(vms["db"]["disks"]) == 2 and len(vms["web"]["nics"]) == 2
    )
    scene.close(touched=["cache", "db", "web"])


def test_vm_stopped_and_started_out_of_band_is_brought_back(scene: Scene) -> None:
    scene.power("web", "STOP")  # the manifest says running
    scene.power("batch", "START")  # the manifest says shutoff
    drift = scene.fleetform("drift", "--format", "json")
    assert drift.returncode == 2
    deployed = scene.deploy()
    assert "the power state is re-created" in flat(deployed)
    vms = scene.vms()
    assert vms["web"]["state"] == "RUNNING" and vms["batch"]["state"] == "SHUTOFF"
    scene.close()


def test_memory_vcpu_tags_description_disk_and_nic_changed_out_of_band_are_exactly_the_drift(
    scene: Scene,
) -> None:
    scene.patch_vm(
        "web", {"mem": 2 * GiB, "numVCPU": 3, "tags": "tier:web,edited", "description": "hand-made"}
    )
    cache = scene.raw_vm("cache")
    nic = cache["netDevs"][0]
    disk = next(d for d in cache["blockDevs"] if d["type"] == "VIRTIO_DISK")
    with scene.client() as client:
        client.wait_task(client.patch(f"/rest/v1/VirDomainNetDevice/{nic['uuid']}", {"vlan": 40}))
        client.wait_task(
            client.patch(f"/rest/v1/VirDomainBlockDevice/{disk['uuid']}", {"capacity": 20 * 10**9})
        )
    drift = scene.fleetform("drift", "--format", "json")
    assert drift.returncode == 2
    report = json.loads(drift.stdout)
    changes = [
        (change["address"], attribute["label"], attribute["before"], attribute["after"])
        for stack in report["stacks"]
        for vm in stack["vms"]
        for change in vm["changes"]
        for attribute in change["attributes"]
    ]
    assert sorted(changes) == [
        ("hypercore_disk.cache__system", "size", "10.7 GB (10.0 GiB)", "20.0 GB (18.6 GiB)"),
        ("hypercore_nic.cache__app-net", "VLAN", "30 (app-net)", "40 (db-net)"),
        ("hypercore_vm.web", "description", "alpha/web (managed by fleetform)", "hand-made"),
        ("hypercore_vm.web", "memory", "1 GiB", "2 GiB"),
        ("hypercore_vm.web", "tags", "tier:web", "tier:web, edited"),
        ("hypercore_vm.web", "vCPUs", "1", "3"),
    ]
    # HyperCore cannot shrink a disk: keep that drift by saying so in the manifest; undo the rest.
    scene.edit(
        "beta",
        "capacity: 10GiB, boot: 1}\n        network_devices",
        "capacity: 20GB, boot: 1}\n        network_devices",
    )
    scene.deploy()
    vms = scene.vms()
    assert (vms["web"]["mem"], vms["web"]["vcpu"], vms["web"]["tags"]) == (GiB, 1, "tier:web")
    assert scene.raw_vm("cache")["netDevs"][0]["vlan"] == 30
    scene.close()


# --- interrupted and failing applies -----------------------------------------------------------------------


def _slow_change(scene: Scene) -> None:
    """A change whose apply takes a few seconds: a new VM, on a cluster whose tasks take 1 s each."""
    scene.edit(
        "beta",
        "    - type: virdomain\n      name: batch",
        WORKER + "    - type: virdomain\n      name: batch",
    )
    scene.sim.admin.set_timing(task_seconds=1.0)


def _converges(scene: Scene) -> None:
    scene.sim.admin.set_timing(task_seconds=0.05)
    again = scene.deploy()
    assert "worker" in scene.vms(), flat(again)
    assert scene.vms()["worker"]["state"] == "RUNNING"


def test_apply_interrupted_by_sigint_stops_gracefully_and_the_next_deploy_converges(scene: Scene) -> None:
    _slow_change(scene)
    process = scene.start("deploy", "--auto-approve")
    wait_for_apply(process)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stdout + stderr
    assert "waiting for Terraform to stop and save its state" in stderr
    _converges(scene)
    scene.close()


def test_apply_killed_with_sigkill_is_recovered_by_the_next_deploy(scene: Scene) -> None:
    _slow_change(scene)
    process = scene.start("deploy", "--auto-approve")
    wait_for_apply(process)
    time.sleep(2.5)
    kill_tree(process.pid)  # fleetform, Terraform and the provider, at once
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    lock = scene.root / "state" / ".beta.tfstate.lock.info"
    assert lock.exists()  # left behind by the killed Terraform: harmless, the lock died with it
    _converges(scene)
    scene.close()


def test_cluster_unreachable_mid_apply_fails_in_words_and_the_next_deploy_converges(scene: Scene) -> None:
    _slow_change(scene)
    process = scene.start("deploy", "--auto-approve")
    wait_for_apply(process)
    time.sleep(1.5)
    scene.sim.server.stop()
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 1, stdout + stderr
    text = " ".join((stdout + stderr).split())
    assert "cannot reach cluster 'default'" in text and "run the same command again" in text
    scene.sim.restart()
    _converges(scene)
    scene.close()


def test_wrong_password_changes_nothing_and_says_so(scene: Scene) -> None:
    scene.edit("alpha", "cpu: 1\n", "cpu: 2\n")
    refused = scene.fleetform("deploy", "--auto-approve", env=scene.env(HC_PASSWORD="not-the-password"))
    text = flat(refused)
    assert refused.returncode == 1
    assert "refused the user name and password" in text and "HC_USERNAME and HC_PASSWORD" in text
    assert "not-the-password" not in text and scene.vms()["web"]["vcpu"] == 1
    scene.edit("alpha", "cpu: 2\n", "cpu: 1\n")
    scene.close()


def test_template_vm_missing_fails_in_words_and_converges_once_it_is_back(scene: Scene) -> None:
    scene.patch_vm("fleetform-template-uefi", {"name": "fleetform-template-uefi-renamed"})
    failed = scene.fleetform("deploy", "--auto-approve")
    text = flat(failed)
    assert failed.returncode == 1
    assert (
        "the template VM 'fleetform-template-uefi' for machine type uefi is not on cluster 'default'" in text
    )
    assert "templates: in fleetform.yaml" in text
    scene.patch_vm("fleetform-template-uefi-renamed", {"name": "fleetform-template-uefi"})
    scene.close()


# --- modes and history -------------------------------------------------------------------------------------


def test_simulator_mode_then_a_real_cluster_run_without_hc_host(scene: Scene) -> None:
    real = {k: "" for k in ("HC_HOST", "HC_USERNAME", "HC_PASSWORD", "TF_CLI_CONFIG_FILE")}

    def production() -> dict[str, bytes]:
        """The real-cluster mode's state, synthesized JSON and working-directory backend settings."""
        files = [*(scene.root / "state").glob("*.tfstate"), *(scene.root / "cdktf.out").rglob("cdk.tf.json")]
        files += (scene.root / "cdktf.out").glob("stacks/*/.terraform/terraform.tfstate")
        return {str(path): path.read_bytes() for path in sorted(files)}

    before = production()
    try:
        simulated = scene.fleetform("deploy", "--simulator", "--auto-approve", env=scene.env(**real))
        assert simulated.returncode == 0, flat(simulated)
        assert (scene.root / ".fleetform" / "cdktf.out" / "stacks" / "alpha" / ".terraform").is_dir()
        assert (scene.root / ".fleetform" / "demo" / "state" / "alpha.tfstate").is_file()
        for command in ("deploy", "plan", "destroy", "drift"):
            refused = scene.fleetform(command, env=scene.env(**real))
            text = flat(refused)
            assert refused.returncode == 1, text
            assert "HC_HOST, HC_USERNAME, HC_PASSWORD are not set" in text and "--simulator" in text
            assert "migrate-state" not in text and "Backend configuration changed" not in text
        # The real-cluster mode's state, JSON and working directories are exactly as they were.
        assert production() == before
        again = scene.fleetform("deploy", "--simulator", env=scene.env(**real))
        assert again.returncode == 0 and "No changes." in again.stdout, flat(again)
        assert scene.fleetform("drift", "--simulator", env=scene.env(**real)).returncode == 0
    finally:
        scene.fleetform("simulator", "stop", env=scene.env(**real))
    scene.close()


def test_git_revert_of_a_change(scene: Scene) -> None:
    git_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=scene.root, env=git_env, check=True, capture_output=True)

    assert shutil.which("git")
    git("init", "-q")
    git("add", "manifests", "fleetform.yaml")
    git("commit", "-qm", "seed")
    scene.edit("alpha", "memory: 2GiB\n", "memory: 4GiB\n")  # db
    git("commit", "-qam", "db: 4 GiB")
    scene.deploy()
    assert scene.vms()["db"]["mem"] == 4 * GiB
    git("revert", "--no-edit", "HEAD")
    reverted = scene.deploy()
    assert "memory 4 GiB → 2 GiB" in flat(reverted)
    assert scene.vms()["db"]["mem"] == 2 * GiB
    scene.close()
