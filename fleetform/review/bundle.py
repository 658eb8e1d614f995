"""The plan directory that ``fleetform plan`` writes, ``fleetform review`` reads and ``fleetform apply`` applies.

Layout (``DIR`` is ``--out``, default ``plans/``)::

    DIR/manifest.json            the index: PlanIndex below (format "fleetform-plans/1")
    DIR/<stack>/tfplan           the binary saved plan (absent when the plan failed or was refused)
    DIR/<stack>/plan.json        terraform show -json tfplan   (holds secret values in the clear: keep private)
    DIR/<stack>/plan.txt         terraform show -no-color tfplan (sensitive values masked by Terraform)
    DIR/<stack>/diagram.mmd      Mermaid of the application, planned changes highlighted (not for orphans)
    DIR/<stack>/config/*.tf.json the Terraform JSON that was planned (a tombstone's is recreated from here)
    DIR/<stack>/error.txt        Terraform's error, when the plan failed

Several directories (one per CI matrix job) make one bundle: :func:`load_bundle` takes each directory that
holds a ``manifest.json``, or a directory whose subdirectories do. Reading is plain file I/O; nothing here runs
a program or opens a connection.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetform.errors import FleetformError
from fleetform.review.plan import Plan, parse_plan

FORMAT = "fleetform-plans/1"
INDEX = "manifest.json"
PLAN_FILE = "tfplan"
PLAN_JSON = "plan.json"
PLAN_TEXT = "plan.txt"
DIAGRAM = "diagram.mmd"
CONFIG_DIR = "config"
ERROR_TEXT = "error.txt"

StackStatus = Literal["planned", "refused", "failed"]


class BundleError(FleetformError):
    """A plan directory is missing, incomplete, or not one that ``fleetform plan`` wrote."""


class DiskRefusal(BaseModel):
    """A data disk the data-loss guard would not let the plan destroy."""

    model_config = ConfigDict(extra="ignore")

    address: str
    vm: str | None = None
    disk: str
    why: str


class StackEntry(BaseModel):
    """One stack in the index."""

    model_config = ConfigDict(extra="ignore")

    status: StackStatus
    """``planned``: tfplan and plan.json exist; ``refused``: the data-loss guard refused the plan (plan.json
    kept for the review, tfplan deleted); ``failed``: Terraform failed (error.txt)."""
    changes: bool = False
    """Whether the plan changes anything (Terraform's -detailed-exitcode 2)."""
    orphan: bool = False
    """The stack's manifest is gone: a tombstone (provider and backend only) plans the destruction of
    everything in its state."""
    workdir: str
    """Terraform's working directory for plan and apply: relative to ``project`` unless absolute."""
    config_hash: str = ""
    """sha256 over the working directory's ``*.tf.json`` (names and bytes) when the plan was made."""
    application: str | None = None
    cluster: str | None = None
    manifest: str | None = None
    """The manifest file the stack came from (None for an orphan)."""
    backend: str = "local"
    networks: dict[str, int] = Field(default_factory=dict)
    """The network names of the stack's cluster -> VLAN ids, to name VLANs in the review."""
    allow_data_loss: bool = False
    message: str = ""
    """Why the plan was refused or failed, in words."""
    refusals: list[DiskRefusal] = Field(default_factory=list)
    seconds: float = 0.0
    applied: str | None = None
    """When ``fleetform apply`` applied this plan (UTC, ISO 8601)."""
    deleted_outside: list[str] = Field(default_factory=list)
    """Addresses whose objects were deleted outside fleetform: taken out of state before the plan (which
    creates them again; :mod:`fleetform.terraform.outofband`)."""
    state_backup: str | None = None
    """The copy of the state kept before those addresses were taken out of it."""
    power_replaced: list[str] = Field(default_factory=list)
    """Power states planned as a replace rather than the provider's broken in-place update
    (:mod:`fleetform.terraform.plans.power`)."""
    wave: int | None = None
    """The stack's rollout wave (``rollout:`` in fleetform.yaml), 1-based; None when the site has no waves."""
    wave_name: str | None = None


class PlanIndex(BaseModel):
    """``DIR/manifest.json``."""

    model_config = ConfigDict(extra="ignore")

    format: str = FORMAT
    kind: Literal["plan", "drift"] = "plan"
    """``plan``: ``fleetform plan`` wrote it; ``drift``: ``fleetform drift`` (no saved plans, only reports)."""
    created: str
    """UTC, ISO 8601."""
    fleetform_version: str = ""
    terraform_version: str = ""
    commit: str | None = None
    """The commit the plan was made from (``$GITHUB_SHA`` or ``git rev-parse HEAD``)."""
    project: str
    """The directory ``fleetform plan`` ran in (absolute); relative working directories are relative to it
    when it exists, else to the current directory."""
    inputs_hash: str = ""
    """sha256 over the manifest files and the site configuration."""
    allow_data_loss: bool = False
    stacks: dict[str, StackEntry] = Field(default_factory=dict)


@dataclass
class StackPlan:
    """One stack of a bundle: its index entry, its directory, and its plan (when there is one)."""

    name: str
    entry: StackEntry
    directory: Path
    index: PlanIndex
    plan: Plan | None = None
    diagram: str | None = None
    error: str | None = None

    @property
    def plan_file(self) -> Path:
        return self.directory / PLAN_FILE


@dataclass
class Bundle:
    """Every stack of one or more plan directories."""

    stacks: list[StackPlan] = field(default_factory=list)
    indexes: list[tuple[Path, PlanIndex]] = field(default_factory=list)

    def get(self, name: str) -> StackPlan | None:
        return next((s for s in self.stacks if s.name == name), None)


def read_index(directory: Path) -> PlanIndex:
    """The index of one plan directory. Raises BundleError."""
    path = directory / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(
            f"{directory} is not a plan directory: no {INDEX} (run `fleetform plan` first)"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise BundleError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BundleError(f"{path} is not a fleetform plan index (format {FORMAT!r} expected)")
    try:
        return PlanIndex.model_validate(data)
    except ValidationError as exc:
        raise BundleError(f"{path} is malformed: {exc.errors()[0]['msg']}") from None


def write_index(directory: Path, index: PlanIndex) -> None:
    """Write ``DIR/manifest.json`` (stacks sorted, stable key order)."""
    index.stacks = dict(sorted(index.stacks.items()))
    data = index.model_dump(mode="json")
    (directory / INDEX).write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def plan_dirs(paths: Sequence[Path]) -> list[Path]:
    """The plan directories among ``paths``: each path holding an index, else its subdirectories that do.
    A directory with neither is an empty bundle (nothing was planned). Raises BundleError for a missing path."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise BundleError(f"{path} is not a directory: give the DIR that `fleetform plan --out` wrote")
        if (path / INDEX).is_file():
            found.append(path)
            continue
        found.extend(sorted(p for p in path.iterdir() if p.is_dir() and (p / INDEX).is_file()))
    return found


def load_bundle(paths: Sequence[Path], *, with_plans: bool = True) -> Bundle:
    """Read the plan directories under ``paths`` (and, with ``with_plans``, each stack's plan.json, diagram
    and error). A stack found in two directories is an error."""
    bundle = Bundle()
    for directory in plan_dirs(paths):
        index = read_index(directory)
        bundle.indexes.append((directory, index))
        for name, entry in index.stacks.items():
            if bundle.get(name) is not None:
                raise BundleError(f"stack '{name}' is in two plan directories (second: {directory})")
            stack = StackPlan(name=name, entry=entry, directory=directory / name, index=index)
            if with_plans:
                _load_stack(stack)
            bundle.stacks.append(stack)
    return bundle


def _load_stack(stack: StackPlan) -> None:
    path = stack.directory / PLAN_JSON
    # A plan refused by the data-loss guard keeps its plan.json; one Terraform refused (prevent_destroy) has none.
    if stack.entry.status == "planned" or (stack.entry.status == "refused" and path.is_file()):
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise BundleError(f"stack '{stack.name}': cannot read {path}: {exc}") from None
        try:
            stack.plan = parse_plan(data)
        except FleetformError as exc:
            raise BundleError(f"stack '{stack.name}': {path}: {exc}") from None
    diagram = stack.directory / DIAGRAM
    if diagram.is_file():
        stack.diagram = diagram.read_text(encoding="utf-8")
    error = stack.directory / ERROR_TEXT
    if error.is_file():
        stack.error = error.read_text(encoding="utf-8")


def resolve_workdir(index: PlanIndex, entry: StackEntry, *, cwd: Path) -> Path:
    """A stack's working directory: absolute as recorded; else relative to ``cwd`` when it exists there (the
    usual case: apply runs where plan ran, or a CI job checked the same repository out), else relative to the
    recorded project directory."""
    recorded = Path(entry.workdir)
    if recorded.is_absolute():
        return recorded
    here = cwd / recorded
    if here.exists():
        return here
    project = Path(index.project) / recorded
    return project if project.exists() else here
