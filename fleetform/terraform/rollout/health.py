"""The health gate after a wave: through REST, every VM the wave touched is in its manifest's power state and,
where the manifest asks for it (``x-fleetform: {health: {guest_ip: true}}``), reports a guest IP address.

*Touched* means the stack's saved plan changes the VM or one of its disks, NICs, boot order or power state;
a VM the plan deletes is not checked. The gate asks each cluster for its VMs once per ``interval`` (one
session per cluster, clusters side by side) until every check passes or ``timeout`` runs out; a cluster that
cannot be reached makes its stacks ``unreachable``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fleetform.addresses import logical_id
from fleetform.errors import ApiConfigError, ApiError
from fleetform.hypercore import HypercoreClient
from fleetform.hypercore.models import VirDomain
from fleetform.review.plan import Plan
from fleetform.site.config import Target
from fleetform.synth.inputs import StackInput
from fleetform.terraform.connect import client_for

VM_TYPES = (
    "hypercore_vm",
    "hypercore_disk",
    "hypercore_nic",
    "hypercore_vm_boot_order",
    "hypercore_vm_power_state",
)
POWER = {"running": "RUNNING", "shutoff": "SHUTOFF"}


@dataclass(frozen=True)
class VmCheck:
    """What one VM must show for its stack to be healthy."""

    stack: str
    vm: str
    """The VM's name on the cluster."""
    power: str
    """``RUNNING`` or ``SHUTOFF``."""
    guest_ip: bool = False


@dataclass
class GateResult:
    """How one stack came out of the gate."""

    stack: str
    ok: bool
    message: str = ""
    unreachable: bool = False


def touched_vms(plan: Plan) -> set[str]:
    """The logical ids of the VMs a plan creates or changes (through any of their resources)."""
    found = set()
    for rc in plan.managed():
        if rc.type not in VM_TYPES or rc.action in ("no-op", "delete", "read"):
            continue
        found.add(rc.name.split("__", 1)[0] if rc.type in ("hypercore_disk", "hypercore_nic") else rc.name)
    return found


def checks_for(stack: StackInput, plan: Plan) -> list[VmCheck]:
    """The checks of the VMs ``plan`` touches, from the stack's rendered manifest."""
    touched = touched_vms(plan)
    app = stack.manifest.application
    checks = []
    for vm in app.spec.resources:
        if logical_id(vm.name) in touched:
            checks.append(VmCheck(stack.name, vm.name, POWER[vm.spec.state], app.waits_for_guest_ip(vm)))
    return checks


def failures(check: VmCheck, found: VirDomain | None) -> str | None:
    """Why ``found`` does not pass ``check`` (None: it passes)."""
    if found is None:
        return f"VM {check.vm} is not on the cluster"
    if found.state != check.power:
        return f"VM {check.vm} is {found.state or 'in no state'}, not {check.power}"
    if check.guest_ip and not any(nic.ipv4_addresses for nic in found.net_devs):
        return f"VM {check.vm} has reported no guest IP address"
    return None


@dataclass
class Gate:
    """One wave's gate: the checks by cluster, and how to reach each cluster."""

    targets: Mapping[str, Target]
    """Cluster name -> its target (host from fleetform.yaml)."""
    env: Mapping[str, str]
    insecure: bool = False
    clients: dict[str, HypercoreClient] = field(default_factory=dict)

    def run(
        self,
        checks: Mapping[str, Sequence[VmCheck]],
        stacks_by_cluster: Mapping[str, Iterable[str]],
        *,
        timeout: float,
        interval: float,
        stop: threading.Event | None = None,
        on_poll: Callable[[int, int], None] | None = None,
    ) -> dict[str, GateResult]:
        """Poll until every check passes (or ``timeout``, or ``stop`` is set); a result per stack of
        ``stacks_by_cluster`` (cluster -> stacks; a stack without checks passes at once). A cluster that does
        not answer is asked again until the timeout. ``on_poll(passed, total)`` after every round."""
        stop = stop or threading.Event()
        results = {name: GateResult(name, True) for stacks in stacks_by_cluster.values() for name in stacks}
        waiting: dict[str, list[VmCheck]] = {}
        for cluster, stacks in stacks_by_cluster.items():
            pending = [c for name in stacks for c in checks.get(name, ())]
            if pending:
                waiting[cluster] = pending
        total = sum(len(v) for v in waiting.values())
        why: dict[VmCheck, str] = {}
        unreachable: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        interrupted = False
        try:
            with ThreadPoolExecutor(max_workers=min(8, max(1, len(waiting)))) as pool:
                while waiting:
                    clusters = list(waiting)
                    for cluster, (failing, error) in zip(
                        clusters, pool.map(self._poll, clusters, [waiting[c] for c in clusters]), strict=True
                    ):
                        if error is not None:
                            unreachable[cluster] = error
                            continue
                        unreachable.pop(cluster, None)
                        why.update(failing)
                        waiting[cluster] = list(failing)
                    waiting = {cluster: left for cluster, left in waiting.items() if left}
                    if on_poll is not None:
                        on_poll(total - sum(len(v) for v in waiting.values()), total)
                    if not waiting or time.monotonic() >= deadline:
                        break
                    if stop.wait(min(interval, max(0.0, deadline - time.monotonic()))):
                        interrupted = True
                        break
        finally:
            self.close()
        for cluster, left in waiting.items():
            for check in left:
                result = results[check.stack]
                if not result.ok:
                    continue
                if cluster in unreachable:
                    results[check.stack] = GateResult(
                        check.stack, False, unreachable[cluster], unreachable=True
                    )
                elif interrupted:
                    results[check.stack] = GateResult(check.stack, False, "interrupted before it was healthy")
                else:
                    reason = why.get(check, f"VM {check.vm} was not checked")
                    results[check.stack] = GateResult(check.stack, False, f"{reason} after {timeout:g} s")
        return results

    def _poll(self, cluster: str, checks: Sequence[VmCheck]) -> tuple[dict[VmCheck, str], str | None]:
        """The checks still failing on ``cluster`` and why; or why the cluster could not be asked."""
        try:
            client = self.clients.get(cluster)
            if client is None:
                client = client_for(self.targets[cluster], insecure=self.insecure, environ=self.env)
                self.clients[cluster] = client.__enter__()
            vms = {vm.name: vm for vm in client.list_vms()}
        except (ApiError, ApiConfigError) as exc:
            broken = self.clients.pop(cluster, None)
            if broken is not None:
                with contextlib.suppress(ApiError):
                    broken.__exit__(None, None, None)
            return {}, f"cluster {cluster} unreachable: {exc}"
        failing = {}
        for check in checks:
            reason = failures(check, vms.get(check.vm))
            if reason is not None:
                failing[check] = reason
        return failing, None

    def close(self) -> None:
        for client in self.clients.values():
            with contextlib.suppress(ApiError):
                client.__exit__(None, None, None)
        self.clients.clear()
