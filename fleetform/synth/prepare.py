"""One stack on its way to cdktf: its application's props and its state location.

Everything here is plain Python (no cdktf, so no jsii kernel): ``fleetform synth`` prepares every stack and
computes its cache key before deciding whether cdktf needs to start at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fleetform.constructs.props import ApplicationProps
from fleetform.errors import Issue
from fleetform.synth.inputs import StackInput
from fleetform.synth.translate import application_props, pg_schema, state_file

APPLICATION_ID = "app"
"""The construct id of the application in its stack (part of every construct path in the ``//`` metadata)."""


@dataclass
class StackBuild:
    """One stack on its way to cdktf: its input, the props of its application, where its state lives."""

    stack: StackInput
    props: ApplicationProps
    state: str
    """The local backend's path (relative to the stack's working directory), or the pg schema."""
    notes: list[Issue] = field(default_factory=list)
    """Warnings about what fleetform decided for the application (see :func:`fleetform.synth.translate.application_props`)."""

    @property
    def name(self) -> str:
        return self.stack.name


def prepare_stack(stack: StackInput, *, final_outdir: Path, allow_data_loss: bool = False) -> StackBuild:
    """Props and state location of one stack; raises InputError for what the site cannot resolve.
    ``final_outdir`` is where the stacks will finally live (local state paths are relative to each stack's
    working directory)."""
    props, notes = application_props(
        stack.manifest, stack.site, allow_data_loss=allow_data_loss, imports=stack.imports
    )
    if stack.site.state.backend == "pg":
        state = pg_schema(stack.site, stack.name)
    else:
        state = os.path.relpath(
            state_file(stack.site, stack.name).resolve(), final_outdir / "stacks" / stack.name
        )
    return StackBuild(stack, props, state, notes)


def check_stack(build: StackBuild) -> list[Issue]:
    """What building the stack's constructs would say, without cdktf (``fleetform validate``): its notes and
    the VMs' warnings (disk sizes that had to be rounded). Raises InputError with every construct error."""
    from fleetform.constructs._plan import plan_application, plan_vm
    from fleetform.errors import InputError

    props = build.props
    plan = plan_application(props)
    images = {image.name: image for image in props.images}
    schedules = {schedule.name: schedule for schedule in props.snapshot_schedules}
    warnings = list(build.notes)
    problems: list[Issue] = []
    for vm, machine_type in plan.vms:
        try:
            # A template look-up stands for the machine type's template, as the Application construct's does.
            template = None if machine_type is None else f"<template {machine_type}>"
            warnings += plan_vm(
                vm.name, vm, images, schedules, template=template, application=props.name
            ).warnings
        except InputError as exc:
            problems.extend(exc.issues)
    if problems:
        raise InputError(problems)
    return warnings
