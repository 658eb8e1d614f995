"""Saved plans for many stacks: ``fleetform plan`` (synthesize once, plan every stack in parallel, save what a
review needs) and ``fleetform apply`` (apply exactly those plans, never a new one).

Plan directory format: :mod:`fleetform.review.bundle`.

**Stacks whose manifest was deleted** (orphans) still have state, and cdktf only drops their directory. Every
stack records the manifest it came from in its state (:mod:`fleetform.synth.origins`); with the local backend, a run
over whole manifest directories takes a stack with state but no synthesized stack for an orphan only when its
recorded manifest is one the run reads, is gone, and no other manifest in the project makes it. With the pg
backend fleetform cannot list PostgreSQL schemas (it has no database driver), so an orphan is planned only when
named with ``--stacks`` (the GitHub workflow names the stacks that the base branch synthesizes and the pull
request no longer does). An orphan gets a *tombstone*: a stack with the same provider configuration and backend
as before and no resources, under ``<synth dir>/tombstones/<stack>``, so that ``terraform plan`` destroys
everything in its state. The review flags it loudly.

**Before each plan** the objects of the stack deleted outside fleetform are taken out of its state
(:mod:`fleetform.terraform.plans.deleted`), and after it every in-place update of a power state is planned again as a
replace (:mod:`fleetform.terraform.plans.power`). ``plan.json`` is saved without sensitive values
(:mod:`fleetform.terraform.plans.redact`) in an owner-only plan directory; failures are said in fleetform's words
(:mod:`fleetform.terraform.plans.failures`).

**The data-loss guard.** Synth puts ``prevent_destroy`` on every data disk (Terraform then fails the plan with
its own error, which :func:`fleetform.terraform.plans.planning._prevent_destroy_message` turns into one that names the VM, the disk and the fix).
``prevent_destroy`` cannot cover a disk whose resource left the configuration (its VM was removed from the
manifest, or the whole manifest was deleted) nor a disk that HyperCore deletes with a replaced VM. After each
plan, :func:`fleetform.review.hypercore.disk_losses` finds those in the plan JSON; a *data* disk among them
(rule: :mod:`fleetform.review.hypercore`) refuses the plan unless ``--allow-data-loss`` is given or the
manifest still has the VM with ``x-fleetform.allow_data_loss: true``. A refused stack keeps its plan.json
(so the review shows what would have been destroyed) but not its tfplan, so nothing can apply it.

**Apply** refuses before touching anything when a plan was refused or failed, has been applied already, or
when the Terraform JSON in the stack's working directory is not the one that was planned (sha256 recorded
in the index). Terraform itself refuses a plan whose state changed since ("Saved plan is stale"); that
becomes a clear refusal too. Stacks on the same cluster apply one after another (HyperCore runs one task at
a time), different clusters in parallel up to ``parallel``; each apply runs with ``-parallelism=1``.

Modules: :mod:`~fleetform.terraform.plans.planning` (plan many stacks, the data-loss guard), :mod:`~fleetform.terraform.plans.orphans`
(stacks of deleted manifests, tombstones), :mod:`~fleetform.terraform.plans.deleted` (objects deleted outside fleetform),
:mod:`~fleetform.terraform.plans.power` (power states replaced, not updated), :mod:`~fleetform.terraform.plans.redact` (no secret in
plan.json), :mod:`~fleetform.terraform.plans.failures` (failures in fleetform's words), :mod:`~fleetform.terraform.plans.applying`
(apply saved plans exactly), :mod:`~fleetform.terraform.plans.workdirs` (init once, settled markers),
:mod:`~fleetform.terraform.plans.ci` (change detection and job matrices), :mod:`~fleetform.terraform.plans.common` (shared names and
helpers).
"""

from fleetform.terraform.plans.applying import ApplyOutcome, PlanRefused, apply_one, apply_plans, check_plans
from fleetform.terraform.plans.ci import changed_stacks, shards
from fleetform.terraform.plans.common import STACK_FILE, TOMBSTONES, Progress, config_hash
from fleetform.terraform.plans.orphans import DEFAULT_REQUIRED_PROVIDERS, tombstone
from fleetform.terraform.plans.planning import NO_CHANGES, PlanOptions, PlanRun, StackJob, plan_stacks
from fleetform.terraform.plans.workdirs import INIT_MARKER, SETTLED, settled_hash

__all__ = [
    "DEFAULT_REQUIRED_PROVIDERS",
    "INIT_MARKER",
    "NO_CHANGES",
    "SETTLED",
    "STACK_FILE",
    "TOMBSTONES",
    "ApplyOutcome",
    "PlanOptions",
    "PlanRefused",
    "PlanRun",
    "Progress",
    "StackJob",
    "apply_one",
    "apply_plans",
    "changed_stacks",
    "check_plans",
    "config_hash",
    "plan_stacks",
    "settled_hash",
    "shards",
    "tombstone",
]
