"""Running the ``terraform`` CLI in a synthesized stack's directory.

Every command runs non-interactively (``-input=false``, no colour) with the environment it is given; a failure
becomes a :class:`~fleetform.errors.ToolError` that names the stack, the command and Terraform's own error
lines, never a Python traceback. Output is captured unless a ``log`` callback wants each line as it comes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.errors import ToolError

# Terraform draws a box around its diagnostics when it writes to a terminal.
_BOX = re.compile(r"^[│╷╵] ?")


@dataclass(frozen=True)
class Result:
    """What a Terraform command printed, and how it ended."""

    code: int
    stdout: str
    stderr: str


def terraform_binary() -> str:
    """The ``terraform`` to run: ``$TERRAFORM_BINARY_NAME`` (as cdktf honours it), else ``terraform``."""
    name = os.environ.get("TERRAFORM_BINARY_NAME", "terraform")
    found = shutil.which(name)
    if found is None:
        raise ToolError(
            f"cannot find '{name}' on PATH; install Terraform 1.5 or newer (https://developer.hashicorp.com/"
            "terraform/install), or set TERRAFORM_BINARY_NAME"
        )
    return found


@dataclass
class Terraform:
    """Terraform commands for the stacks under one synth output directory."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    binary: str = field(default_factory=terraform_binary)

    def run(
        self,
        stack_dir: Path,
        args: Sequence[str],
        *,
        ok_codes: Sequence[int] = (0,),
        log: Callable[[str], None] | None = None,
    ) -> Result:
        """Run ``terraform ARGS`` in ``stack_dir``; raise ToolError unless the exit code is in ``ok_codes``."""
        env = {**self.env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        command = [self.binary, *args]
        if log is None:
            result = _run_interruptibly(command, stack_dir, env)
        else:
            result = self._stream(command, stack_dir, env, log)
        if result.code not in ok_codes:
            raise ToolError(
                f"terraform {args[0]} failed for stack '{stack_dir.name}' (exit {result.code}):\n"
                + error_text(result.stderr or result.stdout)
            )
        return result

    @staticmethod
    def _stream(command: list[str], cwd: Path, env: dict[str, str], log: Callable[[str], None]) -> Result:
        lines: list[str] = []
        with subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        ) as process:
            assert process.stdout is not None
            with _registered(process):
                for line in process.stdout:
                    lines.append(line)
                    log(line.rstrip("\n"))
        text = "".join(lines)
        return Result(process.returncode, text, text)

    def init(self, stack_dir: Path, *, log: Callable[[str], None] | None = None) -> Result:
        """``terraform init``: providers (from the registry, or the stand-in's mirror) and the backend."""
        return self.run(stack_dir, ["init", "-input=false", "-no-color"], log=log)

    def apply(
        self,
        stack_dir: Path,
        *,
        plan_file: Path | None = None,
        parallelism: int = 1,
        extra: Sequence[str] = (),
        log: Callable[[str], None] | None = None,
    ) -> Result:
        """``terraform apply``: a saved plan exactly, or plan-and-apply with ``-auto-approve``."""
        args = ["apply", "-input=false", "-no-color", f"-parallelism={parallelism}", *extra]
        args += [str(plan_file)] if plan_file is not None else ["-auto-approve"]
        return self.run(stack_dir, args, log=log)

    def destroy(
        self, stack_dir: Path, *, parallelism: int = 1, log: Callable[[str], None] | None = None
    ) -> Result:
        """``terraform destroy -auto-approve``."""
        args = ["destroy", "-input=false", "-no-color", "-auto-approve", f"-parallelism={parallelism}"]
        return self.run(stack_dir, args, log=log)

    def plan(
        self,
        stack_dir: Path,
        *,
        out: Path | None = None,
        extra: Sequence[str] = (),
        parallelism: int = 10,
        log: Callable[[str], None] | None = None,
    ) -> bool:
        """``terraform plan -detailed-exitcode``; True when the plan has changes."""
        args = [
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            f"-parallelism={parallelism}",
            *extra,
        ]
        if out is not None:
            args.append(f"-out={out}")
        return self.run(stack_dir, args, ok_codes=(0, 2), log=log).code == 2

    def show_json(self, stack_dir: Path, plan_file: Path | None = None) -> dict[str, Any]:
        """``terraform show -json`` of a saved plan (or of the state), parsed."""
        args = ["show", "-json", "-no-color"] + ([str(plan_file)] if plan_file is not None else [])
        result = self.run(stack_dir, args)
        try:
            data: dict[str, Any] = json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise ToolError(
                f"terraform show -json printed no JSON for stack '{stack_dir.name}': {exc}"
            ) from None
        return data

    def state_list(self, stack_dir: Path) -> list[str]:
        """The addresses in a stack's state (empty when it has none yet)."""
        result = self.run(stack_dir, ["state", "list", "-no-color"], ok_codes=(0, 1))
        if result.code == 1 and "No state file was found" not in result.stderr:
            raise ToolError(
                f"terraform state list failed for stack '{stack_dir.name}':\n{error_text(result.stderr)}"
            )
        return [line for line in result.stdout.splitlines() if line.strip()]


# --- interrupts: Terraform stops gracefully, never killed mid-apply --------------------------------------------

_RUNNING: set[subprocess.Popen[str]] = set()
_RUNNING_LOCK = threading.Lock()


@contextlib.contextmanager
def _registered(process: subprocess.Popen[str]) -> Iterator[None]:
    with _RUNNING_LOCK:
        _RUNNING.add(process)
    try:
        yield
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(process)


def interrupt_running() -> int:
    """Send SIGINT to every Terraform this process runs: Terraform then finishes the operation in progress,
    saves its state, releases its lock and exits ("Interrupt received. Please wait for Terraform to exit or data
    loss may occur."). Returns how many were told. Terraform runs in its own session, so a terminal's Ctrl-C
    reaches fleetform only, and fleetform forwards it exactly once."""
    with _RUNNING_LOCK:
        processes = list(_RUNNING)
    for process in processes:
        with contextlib.suppress(ProcessLookupError, OSError):
            process.send_signal(signal.SIGINT)
    return len(processes)


def _run_interruptibly(command: list[str], cwd: Path, env: Mapping[str, str]) -> Result:
    """Run Terraform and capture its output. On an interrupt of fleetform (KeyboardInterrupt), wait for Terraform
    to stop (:func:`interrupt_running` tells it), then raise it again: ``subprocess.run`` would kill Terraform
    and lose the state it had not saved yet."""
    interrupted = False
    with (
        subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as process,
        _registered(process),
    ):
        while True:
            try:
                stdout, stderr = process.communicate()
                break
            except KeyboardInterrupt:
                interrupted = True
                with contextlib.suppress(ProcessLookupError, OSError):
                    process.send_signal(signal.SIGINT)
    if interrupted:
        raise KeyboardInterrupt
    return Result(process.returncode, stdout, stderr)


def error_text(output: str, limit: int = 40) -> str:
    """Terraform's ``Error:`` blocks from its output (each up to the next ``Error:``/``Warning:`` or the end of a
    boxed block), without the box drawing; else the output's tail."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for raw in output.splitlines():
        line = _BOX.sub("", raw.rstrip())
        if line.startswith("Error: "):
            current = [line]
            blocks.append(current)
        elif line.startswith("Warning: ") or raw.strip() == "╵":
            current = None
        elif current is not None:
            current.append(line)
    text = "\n\n".join("\n".join(block).strip() for block in blocks)
    if not text:
        text = "\n".join(output.strip().splitlines()[-limit:])
    lines = text.splitlines()
    return "\n".join(
        lines[:limit] + ([f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else [])
    )
