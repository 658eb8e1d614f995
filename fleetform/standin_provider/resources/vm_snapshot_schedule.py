"""``hypercore_vm_snapshot_schedule`` (``hypercore_vm_snapshot_schedule.go``, ``utils/vm_snapshot.go``).

``rules`` map to HyperCore's ``rrules``: ``start_timestamp`` -> ``dtstart``, ``frequency`` -> ``rrule``,
``local_retention_seconds``/``remote_retention_seconds`` -> ``local``/``remoteRetentionDurationSeconds``
(``remote`` defaults to 0, although its description says "same as local"). After create and update the
state holds the planned rules, not what HyperCore stored (HyperCore holding more rules than planned panics
with an index out of range); read takes them from HyperCore. An answer without a task tag is only a warning
(create then saves an empty id and no rules). Import reads the rules from the key ``rrule``, which HyperCore
does not have (its key is ``rrules``), so an imported schedule has no rules until the read that follows.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tf.types import Unknown

from fleetform.standin_provider.base import (
    API,
    Record,
    Resource,
    State,
    any_to_int,
    any_to_records,
    any_to_string,
    integer,
    text,
)
from fleetform.standin_provider.diagnostics import Failure, crash, nil_pointer
from fleetform.standin_provider.planning import PlanRules
from fleetform.standin_provider.power import busy

RULE_FIELDS = (
    ("name", "name"),
    ("start_timestamp", "dtstart"),
    ("frequency", "rrule"),
    ("local_retention_seconds", "localRetentionDurationSeconds"),
    ("remote_retention_seconds", "remoteRetentionDurationSeconds"),
)


class VmSnapshotScheduleResource(Resource):
    type_name: ClassVar[str] = "hypercore_vm_snapshot_schedule"
    rules: ClassVar[PlanRules] = PlanRules(
        defaults={"rules.remote_retention_seconds": 0}, keep_state=frozenset({"id", "rules"})
    )

    def create(self, plan: State) -> State:
        rest = self.rest
        name = text(plan["name"])
        rules = [] if plan["rules"] is Unknown else list(plan["rules"] or [])
        payload = {"name": name, "rrules": [_wire_rule(rule) for rule in rules]}
        # CreateVMSnapshotSchedule
        uuid, schedule = "", None
        task, _, error = rest.create_record(f"{API}/VirDomainSnapshotSchedule", payload)
        if error is not None:
            warning = busy(error)
            self.call.warn(warning.summary, warning.detail)
        else:
            rest.wait_task(task)
            if task is None:
                raise nil_pointer()
            uuid = task.created_uuid
            schedule = self._schedule(uuid)
            if schedule is None:
                raise nil_pointer()
        return {**plan, "id": uuid, "rules": _planned_rules(rules, schedule)}

    def read(self, state: State) -> State:
        uuid = text(state["id"])
        schedule = self._schedule(uuid)
        if schedule is None:
            raise Failure("Schedule not found", f"Schedule not found - scheduleUUID={uuid}")
        rules = []
        if schedule.get("rrules") is not None:
            for rule in any_to_records(schedule["rrules"]):
                name = any_to_string(rule.get("name"))
                frequency = any_to_string(rule.get("rrule"))
                start = any_to_string(rule.get("dtstart"))
                local = any_to_int(rule.get("localRetentionDurationSeconds"))
                remote = any_to_int(rule.get("remoteRetentionDurationSeconds"))
                rules.append(
                    {
                        "name": name,
                        "start_timestamp": start,
                        "frequency": frequency,
                        "local_retention_seconds": local,
                        "remote_retention_seconds": remote,
                    }
                )
        return {**state, "id": uuid, "name": any_to_string(schedule.get("name")), "rules": rules}

    def update(self, prior: State, plan: State) -> State:
        rest = self.rest
        uuid, name = text(plan["id"]), text(plan["name"])
        rules = list(plan["rules"] or []) if plan["rules"] is not Unknown else []
        payload = {"name": name, "rrules": [_wire_rule(rule) for rule in rules]}
        # UpdateVMSnapshotSchedule
        task, error = rest.update_record(f"{API}/VirDomainSnapshotSchedule/{uuid}", payload)
        if error is not None:
            warning = busy(error)
            self.call.warn(warning.summary, warning.detail)
        else:
            rest.wait_task(task)
        schedule = self._schedule(uuid)
        if schedule is None:
            raise nil_pointer()
        return {**plan, "rules": _planned_rules(rules, schedule)}

    def delete(self, state: State) -> None:
        rest = self.rest
        rest.wait_task(rest.delete_record(f"{API}/VirDomainSnapshotSchedule/{text(state['id'])}"))

    def import_state(self, import_id: str) -> State:
        schedule = self._schedule(import_id)
        if schedule is None:
            raise Failure(
                "VM Schedule import error, schedule not found",
                f"VM Schedule import, schedule not found -  'schedule_uuid'='{import_id}'.",
            )
        name = any_to_string(schedule.get("name"))
        rules = None
        if schedule.get("rrule") is not None:  # sic: HyperCore's key is "rrules"
            rules = [
                {attribute: rule.get(wire) for attribute, wire in RULE_FIELDS}
                for rule in any_to_records(schedule["rrule"])
            ]
        return {"id": import_id, "name": name, "rules": rules}

    def _schedule(self, uuid: str) -> Record | None:
        """``GetVMSnapshotScheduleByUUID``."""
        return self.rest.get_record(f"{API}/VirDomainSnapshotSchedule/{uuid}")


def _wire_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "dtstart": text(rule["start_timestamp"]),
        "rrule": text(rule["frequency"]),
        "name": text(rule["name"]),
        "localRetentionDurationSeconds": integer(rule["local_retention_seconds"]),
        "remoteRetentionDurationSeconds": integer(rule["remote_retention_seconds"]),
    }


def _planned_rules(rules: list[dict[str, Any]], schedule: Record | None) -> list[dict[str, Any]]:
    """What create and update store: the planned rules, indexed by HyperCore's (a nil schedule has none)."""
    if schedule is None or schedule.get("rrules") is None:
        return []
    stored = any_to_records(schedule["rrules"])
    for index in range(len(stored)):
        if index >= len(rules):
            raise crash(f"runtime error: index out of range [{index}] with length {len(rules)}")
        if rules[index]["remote_retention_seconds"] is Unknown:
            rules[index] = {**rules[index], "remote_retention_seconds": 0}
    return rules
