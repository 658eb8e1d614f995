"""Wall time and peak memory of a command and every process it starts (Python, jsii's Node, Terraform, providers).

Peak memory is the largest *sum* of the resident set sizes of the process and all its descendants, sampled from
``/proc`` every 10 ms. ``/usr/bin/time``'s "maximum resident set size" is the largest single process instead
(jsii runs Node as a second process, so it undercounts a cdktf synth); that figure is kept too, from
``wait4``'s rusage, as ``max_rss_single_mb``.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Measured:
    """One run of a command."""

    seconds: float
    peak_mb: float
    """Largest sum of RSS over the process tree."""
    max_rss_single_mb: float
    """Largest RSS of any single process of the tree (what ``/usr/bin/time -v`` reports)."""
    returncode: int
    stdout: str
    stderr: str


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pid: int) -> int:
    """RSS of ``pid`` and its descendants, in bytes."""
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss(current)
        todo += _children(current)
    return total


def run(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    interval: float = 0.01,
) -> Measured:
    """Run ``command`` to the end, sampling its process tree's memory; raise on failure when ``check``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    output: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, s=stream: output.__setitem__(n, s.read()), daemon=True)
        for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # wait4 rather than wait: its rusage has the largest RSS of the child and its waited-for descendants.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    for stream in (process.stdout, process.stderr):
        assert stream is not None
        stream.close()
    result = Measured(
        seconds, peak / 2**20, usage.ru_maxrss / 1024, process.returncode, output["stdout"], output["stderr"]
    )
    if check and process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({process.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result
