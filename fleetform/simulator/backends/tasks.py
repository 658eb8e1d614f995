"""Tasks: a mutation runs as a HyperCore task (QUEUED, RUNNING, then COMPLETE or ERROR), the busy-VM rule, and
the TaskTag status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from fleetform.simulator.backends.core import BackendCore, Caller, Record
from fleetform.simulator.errors import InternalError, TaskRefused
from fleetform.simulator.models import PENDING_TASK_STATES, Task, now


class TaskBackend(BackendCore):
    """``/rest/v1/TaskTag`` and the task every mutation runs as."""

    def get_task(self, tag: str) -> list[Record]:
        """The task's status as a one-element list; ``[]`` for a tag the cluster does not know."""
        if not tag.isdigit():
            return []
        rows = self.db.rows("tasks", "WHERE tag = ?", (int(tag),))
        return [Task(**row).to_dict(now()) for row in rows]

    def _task(
        self,
        caller: Caller,
        description: str,
        parameters: list[str],
        object_uuid: str,
        work: Callable[[], object],
        *,
        vm_uuids: Iterable[str] = (),
    ) -> Task:
        """Run ``work`` as one task (inside the caller's transaction) and record it.

        An injected ``task_error`` fault skips the work; a :class:`TaskRefused` from it undoes what it wrote.
        Either way the task ends in ERROR with the message, and the cluster is as before. Other errors
        (400, 404, and the busy VM's 500) propagate and no task is recorded.
        """
        vm_uuids = list(vm_uuids)
        with self.db.transaction():
            self._check_not_busy(*vm_uuids)
            tag = self.db.next_sequence("tasks")
            outcome, message, message_parameters = "COMPLETE", "", []
            fault = self.faults.take_task_error(caller.method, caller.path)
            if fault is not None:
                outcome, message = "ERROR", fault.message
            else:
                try:
                    with self.db.savepoint():
                        work()
                except TaskRefused as refused:
                    outcome, message, message_parameters = "ERROR", refused.message, refused.parameters
            task = Task(
                tag=tag,
                outcome=outcome,
                description=description,
                description_parameters=parameters,
                object_uuid=object_uuid,
                created=now(),
                seconds=self.timing.task_seconds,
                session_id=caller.session_id,
                message=message,
                message_parameters=message_parameters,
                node_uuids=[self.nodes[0].uuid],
            )
            self.db.append("tasks", dataclasses.asdict(task))
            for vm_uuid in vm_uuids:
                vm = self.vms.get(vm_uuid)
                if vm is not None:
                    vm.latest_task_tag = str(tag)
                    self.vms.update(vm)
        return task

    def _check_not_busy(self, *vm_uuids: str) -> None:
        """HyperCore's HTTP 500 for a second task on a VM while its last task is still QUEUED or RUNNING.

        Real clusters answer ``{"error": "An internal error occurred"}`` to a mutating call that arrives while a
        task on the same VM is in flight (the RestAPIExamples field notes, rule 1; the Terraform provider's
        "HC3 is receiving too many requests at the same time" warning and its -parallelism=1 advice).
        """
        if not self.timing.busy_vms:
            return
        at = now()
        for uuid in vm_uuids:
            vm = self.vms.get(uuid)
            if vm is None or not vm.latest_task_tag:
                continue
            rows = self.db.rows("tasks", "WHERE tag = ?", (int(vm.latest_task_tag),))
            if rows and Task(**rows[0]).state_at(at) in PENDING_TASK_STATES:
                raise InternalError()
