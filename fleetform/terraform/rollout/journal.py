"""A rollout's progress, kept in its plan directory (``DIR/rollout.json``) so that a re-run resumes.

The journal belongs to one set of saved plans (the creation times of their indexes); a new ``fleetform plan``
into the same directory makes it stale, and it is started afresh. What it holds: each wave's state
(``passed`` once its gate passed within the failure budget, ``stopped`` when it failed beyond it) and each
stack's last state and message. Which stacks were applied is the plan index's business (``applied``), as for
``fleetform apply``: a plan is never applied twice.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetform.terraform.rollout.records import now

JOURNAL = "rollout.json"
FORMAT = "fleetform-rollout/1"


@dataclass
class Journal:
    """What a rollout of one plan set did so far."""

    path: Path
    plans: list[str]
    started: str = field(default_factory=now)
    waves: dict[str, str] = field(default_factory=dict)
    """Wave name -> ``passed`` or ``stopped``."""
    stacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Stack -> ``{"state", "message", "at"}``."""
    runs: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, path: Path, plans: list[str]) -> Journal:
        """The journal at ``path`` if it belongs to ``plans``, else a new one (nothing is written yet)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path, plans)
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("plans") != plans:
            return cls(path, plans)
        return cls(
            path,
            plans,
            started=str(data.get("started") or now()),
            waves={str(k): str(v) for k, v in (data.get("waves") or {}).items()},
            stacks={str(k): dict(v) for k, v in (data.get("stacks") or {}).items() if isinstance(v, dict)},
            runs=int(data.get("runs") or 0),
        )

    def stack(self, name: str, state: str, message: str = "") -> None:
        with self._lock:
            self.stacks[name] = {"state": state, "message": message, "at": now()}

    def wave(self, name: str, state: str) -> None:
        with self._lock:
            self.waves[name] = state

    def save(self) -> None:
        """Write atomically (the journal must survive an interrupt at any point)."""
        with self._lock:
            data = {
                "format": FORMAT,
                "plans": self.plans,
                "started": self.started,
                "runs": self.runs,
                "waves": self.waves,
                "stacks": dict(sorted(self.stacks.items())),
            }
            temporary = self.path.with_name(f".{self.path.name}.tmp")
            temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
