"""Terraform for a rollout: each command in its own session, so a terminal's Ctrl-C reaches fleetform only.

The rollout decides what an interrupt means: the first one lets the applies in progress finish and starts no
new stack (nothing is left half-applied), a second one is passed on to every Terraform still running
(:meth:`SessionTerraform.interrupt`), which then stops gracefully and saves its state.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fleetform.errors import ToolError
from fleetform.terraform import Result, Terraform, error_text


@dataclass
class SessionTerraform(Terraform):
    """:class:`~fleetform.terraform.Terraform` whose commands run in their own session, and can be told to
    stop (SIGINT) all at once."""

    _running: set[subprocess.Popen[str]] = field(default_factory=set, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def run(
        self,
        stack_dir: Path,
        args: Sequence[str],
        *,
        ok_codes: Sequence[int] = (0,),
        log: Callable[[str], None] | None = None,
    ) -> Result:
        env = {**self.env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        with subprocess.Popen(
            [self.binary, *args],
            cwd=stack_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as process:
            with self._lock:
                self._running.add(process)
            try:
                stdout, stderr = process.communicate()
            finally:
                with self._lock:
                    self._running.discard(process)
        result = Result(process.returncode, stdout, stderr)
        if log is not None:
            for line in (stdout + stderr).splitlines():
                log(line)
        if result.code not in ok_codes:
            raise ToolError(
                f"terraform {args[0]} failed for stack '{stack_dir.name}' (exit {result.code}):\n"
                + error_text(result.stderr or result.stdout)
            )
        return result

    def interrupt(self) -> int:
        """SIGINT to every Terraform running now (each finishes what it does, saves state and exits); how many."""
        with self._lock:
            processes = list(self._running)
        for process in processes:
            with contextlib.suppress(ProcessLookupError, OSError):
                process.send_signal(signal.SIGINT)
        return len(processes)
