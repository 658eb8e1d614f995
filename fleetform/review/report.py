"""The review as JSON, for bots: the same facts as the Markdown, never cut, with the same redaction.

Schema ``fleetform-review/1`` (keys are stable; new keys may be added, none removed or renamed)::

    {
      "schema": "fleetform-review/1",
      "dangerous": bool,             # anything destroyed/replaced/powered off, or a stack refused or orphaned
      "failed": bool,                # some stack has no plan (its plan failed): the review is incomplete
      "exit_code": 0 | 1 | 2,        # what `fleetform review` exits with (see fleetform.cli.review)
      "meta": {"commits": [str], "terraform_versions": [str], "created": str | null,
               "allow_data_loss": bool},
      "totals": {"add": int, "change": int, "destroy": int, "replace": int,
                 "import": int, "move": int, "no-op": int},
      "dangers": [Danger...],        # most dangerous first (kind order below)
      "attention": [Attention...],   # fails, then ignored, then power-cycle
      "stacks": [{
        "name": str, "status": "planned" | "refused" | "failed", "orphan": bool,
        "has_changes": bool, "dangerous": bool, "summary": str, "message": str,
        "application": str | null, "cluster": str | null, "manifest": str | null,
        "wave": int | null, "wave_name": str | null,     # rollout wave (fleetform.yaml rollout:)
        "counts": {...same keys as totals...},
        "vms": [{"key": str, "name": str, "dangerous": bool,
                 "action": "create" | "update" | "delete" | "replace" | "import",
                 "changes": [Change...]}],
        "others": [Change...]        # images, ISOs: changes that belong to no VM
      }]
    }

    Danger    = {"stack", "kind", "message", "address", "vm", "data_disk"}
                kind: stack-failed | stack-refused | stack-orphan | data-disk-destroyed | data-disk-lost |
                      vm-destroyed | vm-replaced | disk-destroyed | disk-lost | power-off
    Attention = {"stack", "kind": "fails" | "ignored" | "power-cycle", "message", "address", "vm", "hint"}
    Change    = {"address", "type", "subject", "vm", "action", "effects": [effect], "importing_id",
                 "moved_from", "reason", "data_disk": bool | null, "dangerous": bool,
                 "attributes": [{"path", "label", "before", "after", "effect", "effect_text", "note",
                                 "diff": [str]}]}
    effect    = create | destroy | replace | in-place | power-cycle | ignored | fails | power-off |
                power-on | follows-vm | lost-with-vm

``before``/``after`` are display strings in human units (``2 GiB``, ``53.7 GB (50.0 GiB)``, ``20 (web-net)``);
sensitive values are ``(sensitive)``, values known only after apply ``(known after apply)``, and cloud-init
text is summarised (``(+2 −1 lines)`` plus masked ``diff`` lines), never given whole. No Mermaid diagrams.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fleetform.review.model import ChangeView, Review

SCHEMA = "fleetform-review/1"


def exit_code(review: Review) -> int:
    """1 when a stack's plan failed (the review is incomplete), 2 when something is dangerous, else 0."""
    if review.failed:
        return 1
    return 2 if review.dangerous else 0


def review_data(review: Review) -> dict[str, Any]:
    """The review as plain JSON data (schema above)."""
    return {
        "schema": SCHEMA,
        "dangerous": review.dangerous,
        "failed": review.failed,
        "exit_code": exit_code(review),
        "meta": review.meta,
        "totals": review.totals,
        "dangers": [asdict(d) for d in review.dangers],
        "attention": [asdict(a) for a in review.attention],
        "stacks": [
            {
                "name": s.name,
                "status": s.status,
                "orphan": s.orphan,
                "has_changes": s.has_changes,
                "dangerous": s.dangerous,
                "summary": s.summary,
                "message": s.message,
                "application": s.application,
                "cluster": s.cluster,
                "manifest": s.manifest,
                "wave": s.wave,
                "wave_name": s.wave_name,
                "counts": s.counts,
                "vms": [
                    {
                        "key": vm.key,
                        "name": vm.name,
                        "action": vm.action,
                        "dangerous": vm.dangerous,
                        "changes": [_change(c) for c in vm.changes],
                    }
                    for vm in s.vms
                ],
                "others": [_change(c) for c in s.others],
            }
            for s in review.stacks
        ],
    }


def _change(change: ChangeView) -> dict[str, Any]:
    data = asdict(change)
    data["attributes"] = [{**asdict(a), "effect_text": a.effect_text} for a in change.attributes]
    return data


def render_json(review: Review) -> str:
    """The review as indented JSON text."""
    return json.dumps(review_data(review), indent=2, ensure_ascii=False) + "\n"
