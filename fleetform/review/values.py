"""Attribute values for people: human units, names instead of ids, and redaction.

- memory (MiB) -> ``2 GiB``; disk size (decimal GB) -> ``53.7 GB (50.0 GiB)``; VLAN ids -> ``20 (web-net)``;
- values Terraform marks sensitive (``before_sensitive`` / ``after_sensitive``) -> ``(sensitive)``, whatever
  they are, and values not known until apply (``after_unknown``) -> ``(known after apply)``;
- cloud-init text is never shown whole: :func:`text_change` gives a line diff in which every line that looks
  like a secret written out (:func:`fleetform.manifest.secrets.scan`) is masked.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fleetform.manifest.secrets import scan

SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
ABSENT = "(none)"
GiB = 1024**3
_DIFF_LINES = 12


def marked(marks: Any, path: Sequence[str | int]) -> bool:
    """Whether ``path`` (or an enclosing value) is ``true`` in a Terraform marks structure
    (``after_unknown``, ``before_sensitive``, ``after_sensitive``)."""
    node = marks
    for part in path:
        if node is True:
            return True
        if isinstance(node, Mapping) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return any_marked(node)


def any_marked(node: Any) -> bool:
    """A whole value is marked when it, or anything inside it, is marked (one sensitive list element hides the
    list: showing the rest would still say where the secret is)."""
    if node is True:
        return True
    if isinstance(node, Mapping):
        return any(any_marked(v) for v in node.values())
    if isinstance(node, list):
        return any(any_marked(v) for v in node)
    return False


def get(value: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` inside nested dicts and lists; None when absent."""
    node = value
    for part in path:
        if isinstance(node, Mapping) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def memory(mib: Any) -> str:
    """Memory in MiB (the provider's unit) as GiB when whole enough: ``2 GiB``, ``1.5 GiB``, ``512 MiB``."""
    if not isinstance(mib, int | float) or isinstance(mib, bool):
        return plain(mib)
    if mib >= 1024:
        gib = mib / 1024
        return f"{gib:g} GiB" if gib == round(gib, 2) else f"{gib:.2f} GiB"
    return f"{mib:g} MiB"


def disk_size(gb: Any) -> str:
    """A disk size in decimal GB (the provider's unit) with its GiB: ``53.7 GB (50.0 GiB)``."""
    if not isinstance(gb, int | float) or isinstance(gb, bool):
        return plain(gb)
    return f"{gb:.1f} GB ({gb * 1e9 / GiB:.1f} GiB)"


def vlan(vlan_id: Any, names: Mapping[int, Sequence[str]]) -> str:
    """A VLAN id with the site's network names for it: ``20 (web-net)``."""
    if not isinstance(vlan_id, int) or isinstance(vlan_id, bool):
        return plain(vlan_id)
    known = names.get(vlan_id)
    return f"{vlan_id} ({', '.join(known)})" if known else f"{vlan_id} (no network in fleetform.yaml)"


def tags(value: Any) -> str:
    """HyperCore tags: ``web, frontend``; ``[""]`` (how the provider says "no tags") -> ``(none)``."""
    if isinstance(value, list):
        shown = [str(t) for t in value if t not in ("", None)]
        return ", ".join(shown) if shown else ABSENT
    return plain(value)


_DURATIONS = ((7 * 86400, "week"), (86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def duration(seconds: Any) -> str:
    """Seconds in the largest unit that shows them exactly: ``7 days``, ``36 hours``, ``1 week``."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds != int(seconds):
        return plain(seconds)
    whole = int(seconds)
    for size, unit in _DURATIONS:
        if whole and whole % size == 0:
            count = whole // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{whole} seconds"


def snapshot_rules(rules: Any) -> str:
    """A snapshot schedule's rules, one clause each: ``nightly: FREQ=DAILY;INTERVAL=1 from 2025-01-01
    02:00:00, kept 7 days (remote 7 days)``."""
    if not isinstance(rules, list):
        return plain(rules)
    shown = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            shown.append(plain(rule))
            continue
        local, remote = rule.get("local_retention_seconds"), rule.get("remote_retention_seconds")
        kept = f"kept {duration(local)}"
        if remote is not None:
            kept += f" (remote {duration(remote)})" if remote else " (remote 0)"
        shown.append(
            f"{plain(rule.get('name'))}: {plain(rule.get('frequency'))} from {plain(rule.get('start_timestamp'))}, "
            + kept
        )
    return "; ".join(shown) or ABSENT


def plain(value: Any) -> str:
    """Any other value, short: strings as they are, null as ``(none)``, lists comma-joined."""
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(plain(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {plain(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if "\n" in text:
        return f"({len(text.splitlines())} lines of text)"
    return text


# A review masks more than the manifest warnings (fleetform.manifest.secrets.scan) flag: a line shown by mistake in a
# pull request is worse than a line hidden by mistake.
_MORE_SECRETS: list[tuple[str, re.Pattern[str]]] = [
    ("a password", re.compile(r"\S+:\S{3,}['\"]?\s*\|\s*(?:sudo\s+)?chpasswd")),
    (
        "a password",
        re.compile(
            r"(?i)[a-z0-9_-]*(?:passw(?:or)?d|passwd|secret|token|api[_-]?key|private[_-]?key|credential)"
            r"[a-z0-9_-]*[\"']?\s*[:=]\s*[\"']?[^\s\"']{4,}"
        ),
    ),
    (
        "a key",
        re.compile(r"(?i)\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,})"),
    ),
]


_CHPASSWD = re.compile(r"^\s*-?\s*chpasswd\s*:")
_USER_PASSWORD = re.compile(r"^\s*-?\s*['\"]?[\w.$-]+:[^\s:][^\s]*['\"]?\s*$")


def masked_lines(text: str) -> list[str]:
    """``text``'s lines with each line that looks like a secret written out replaced by a mask (the lines
    :func:`fleetform.manifest.secrets.scan` finds, and a few more patterns), and everything between ``-----BEGIN`` and
    ``-----END`` of a private key."""
    raw = text.splitlines()
    lines = list(raw)
    for finding in scan(text):
        lines[finding.line - 1] = _mask(finding.what)
    in_key = False
    chpasswd: int | None = None  # indentation of a cloud-init `chpasswd:` key whose block we are in
    for number, line in enumerate(raw):
        if "-----BEGIN" in line and "PRIVATE KEY-----" in line:
            in_key = True
        if in_key:
            lines[number] = _mask("a private key")
            in_key = "-----END" not in line
            continue
        indent = len(line) - len(line.lstrip())
        if chpasswd is not None and line.strip() and indent <= chpasswd:
            chpasswd = None
        if _CHPASSWD.match(line):
            chpasswd = indent
        elif chpasswd is not None and _USER_PASSWORD.match(line):
            lines[number] = _mask("a password")
            continue
        if lines[number] != line:
            continue
        for what, pattern in _MORE_SECRETS:
            if pattern.search(line):
                lines[number] = _mask(what)
                break
    return lines


def _mask(what: str) -> str:
    return f"•••• (hidden: looks like {what})"


def text_change(before: Any, after: Any, *, limit: int = _DIFF_LINES) -> tuple[str, list[str]]:
    """A short account of a change of cloud-init text: ``(+2 −1 lines)`` and the changed lines (``-`` old,
    ``+`` new), at most ``limit`` of them, with a count of the rest.

    The diff is taken on the real text, so a changed password still shows as a changed line; each line that
    looks like a secret written out is then masked on its own side."""
    old_text = before if isinstance(before, str) else ""
    new_text = after if isinstance(after, str) else ""
    if not isinstance(before, str) and isinstance(after, str):
        return f"(new text, {len(new_text.splitlines())} lines)", []
    if isinstance(before, str) and not isinstance(after, str):
        return f"(removed, was {len(old_text.splitlines())} lines)", []
    old, new = old_text.splitlines(), new_text.splitlines()
    old_shown, new_shown = masked_lines(old_text), masked_lines(new_text)
    diff: list[str] = []
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        removed += i2 - i1
        added += j2 - j1
        diff += [f"- {line}" for line in old_shown[i1:i2]]
        diff += [f"+ {line}" for line in new_shown[j1:j2]]
    summary = f"(+{added} −{removed} lines)"
    if len(diff) > limit:
        diff = [*diff[:limit], f"… {len(diff) - limit} more changed lines"]
    return summary, diff
