"""Before a plan: objects deleted outside fleetform are taken out of the stack's state, with a backup first.

The finding is :mod:`fleetform.terraform.outofband`'s (through the REST API, before Terraform's refresh would fail with a
raw 404); this module reads the state, keeps a copy and runs ``terraform state rm`` for exactly those addresses.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fleetform.errors import ApiError, FleetformError
from fleetform.hypercore import HypercoreClient
from fleetform.site.config import SiteConfig, Target
from fleetform.synth.origins import read_state_file
from fleetform.synth.translate import state_file
from fleetform.terraform.connect import client_for
from fleetform.terraform.outofband import Inventory, backup_state, missing, parse_state, state_resources
from fleetform.terraform.plans.failures import explain_api, failure_context
from fleetform.terraform.runner import Terraform


class Inventories:
    """One REST session and :class:`~fleetform.terraform.outofband.Inventory` per cluster for a whole run: every stack on
    a cluster is checked against one listing of it (a run plans; it changes nothing on the clusters)."""

    def __init__(self, env: Mapping[str, str], *, insecure: bool = False):
        self._env = dict(env)
        self._insecure = insecure
        self._clients: list[HypercoreClient] = []
        self._inventories: dict[str, Inventory] = {}
        self._lock = threading.Lock()

    def of(self, target: Target) -> Inventory:
        """The inventory of ``target``'s cluster (logging in the first time). Raises ApiError."""
        with self._lock:
            found = self._inventories.get(target.name)
            if found is None:
                client = client_for(target, insecure=self._insecure, environ=self._env)
                client.__enter__()
                self._clients.append(client)
                found = self._inventories[target.name] = Inventory(client)
            return found

    def close(self) -> None:
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.__exit__(None, None, None)
        self._clients.clear()
        self._inventories.clear()


@dataclass(frozen=True)
class Removed:
    """What was taken out of a stack's state."""

    addresses: list[str]
    backup: Path | None


def take_out_deleted(
    terraform: Terraform,
    workdir: Path,
    stack: str,
    site: SiteConfig,
    *,
    project: Path,
    inventories: Inventories,
    lock_timeout: str | None = None,
) -> Removed:
    """Remove from ``stack``'s state every object the cluster no longer has; the addresses and the backup.
    Raises FleetformError when the cluster cannot be asked or the state cannot be changed."""
    if site.state.backend == "local":
        path = state_file(site, stack)
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        state = read_state_file(path) or {} if text else {}
        backups = site.state_dir / "backups"
    else:
        text = terraform.run(workdir, ["state", "pull"]).stdout
        state = parse_state(text)
        backups = project / ".fleetform" / "state-backups"
    resources = state_resources(state)
    if not resources:
        return Removed([], None)
    target = Target(site.cluster, site)
    try:
        gone = sorted(missing(inventories.of(target), resources))
    except ApiError as exc:
        context = failure_context(stack, site, terraform.env, "plan")
        raise FleetformError(
            explain_api(exc, context, "checking which of the stack's objects still exist")
        ) from None
    if not gone:
        return Removed([], None)
    backup = backup_state(text, backups, stack)
    args = ["state", "rm", "-no-color"]
    if lock_timeout:
        args.append(f"-lock-timeout={lock_timeout}")
    terraform.run(workdir, [*args, *gone])
    return Removed(gone, backup)
