"""The review as one pull-request comment (GitHub Markdown), within a size limit.

Order: a marker line (``<!-- fleetform-review -->``, to find and update the one comment), the summary table
(one row per stack), the dangerous changes, what needs attention, then per stack a ``<details>`` block with,
per VM, a table of changed attributes (human units, redacted) and the application's Mermaid diagram with the
planned changes highlighted.

GitHub refuses comments over 65,536 characters. The summary, the dangerous changes and the closing note are
always kept; what does not fit is cut in this order, and the comment says what was cut: diagrams, then
per-VM details (from the last stack back), then attention items, then (only if even they do not fit)
dangerous items and table rows, counted in a closing line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from fleetform.review.hypercore import EFFECT_TEXT
from fleetform.review.model import Attention, ChangeView, Danger, Review, StackReview, VmView
from fleetform.review.values import SENSITIVE

MARKER = "<!-- fleetform-review -->"
DEFAULT_MAX_CHARS = 60_000
GITHUB_LIMIT = 65_536
_MIN_CHARS = 2_000
_ERROR_CHARS = 3_000
_MANY_QUIET_STACKS = 10
_ACTION_WORDS = {
    "create": "created",
    "delete": "destroyed",
    "replace": "replaced",
    "update": "changed",
    "import": "imported",
    "no-op": "unchanged",
}
_ICONS = {"create": "🟢", "delete": "🔴", "replace": "🟠", "update": "🟡", "import": "📥"}


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fleetform.review", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["quote"] = lambda text: str(text).replace("\n", "\n> ")
    return env


def _render(template: str, **context: Any) -> str:
    """A template's text, without trailing blank lines (the enclosing template spaces the pieces)."""
    return _environment().get_template(template).render(**context).rstrip("\n")


def code(text: str) -> str:
    """``text`` as an inline code span that survives backticks inside it."""
    text = text.replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell: no line breaks, ``|`` escaped, no raw HTML."""
    text = text.replace("\r", "").replace("\n", " ").replace("|", "\\|")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def fence(lines: list[str]) -> str:
    """A code fence longer than any backtick run in ``lines``."""
    longest = max((len(m) for line in lines for m in re.findall(r"`{3,}", line)), default=2)
    return "`" * max(3, longest + 1)


# --- pieces -----------------------------------------------------------------------------------------------


def danger_line(danger: Danger) -> str:
    where = f" — {code(danger.address)}" if danger.address else ""
    icon = "🛑💾" if danger.data_disk else "🛑"
    return f"- {icon} {code(danger.stack)}: {danger.message}{where}"


def attention_line(item: Attention) -> str:
    label = {"fails": "will fail", "ignored": "ignored", "power-cycle": "power cycle"}[item.kind]
    hint = f" ({item.hint})" if item.hint else ""
    return f"- ⚠️ **{label}** {code(item.stack)}: {item.message}{hint}"


def vm_block(vm: VmView) -> str:
    """One VM's changes as a heading and a table (plus masked cloud-init diffs)."""
    word = _ACTION_WORDS.get(vm.action, vm.action)
    icon = "🛑" if vm.dangerous else _ICONS.get(vm.action, "🟡")
    heading = f"{icon} **VM {code(vm.name)}**: {word}"
    rows, texts = _rows(vm.changes)
    return _render("vm.md.j2", heading=heading, rows=rows, texts=texts)


def others_block(changes: list[ChangeView]) -> str:
    rows, texts = _rows(changes)
    return _render("vm.md.j2", heading="**Images and other resources**", rows=rows, texts=texts)


def _rows(changes: list[ChangeView]) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    rows: list[dict[str, str]] = []
    texts: list[dict[str, Any]] = []
    for change in changes:
        resource = code(change.address)
        effects = ", ".join(_effect_word(e) for e in change.effects)
        extra = []
        if change.importing_id:
            extra.append(f"imported (id {code(change.importing_id)})")
        if change.moved_from:
            extra.append(f"moved from {code(change.moved_from)}")
        if change.reason:
            extra.append(cell(change.reason))
        if "lost-with-vm" in change.effects:
            extra.insert(0, _effect_word("lost-with-vm"))
        if change.data_disk and (change.action in ("delete", "replace") or change.dangerous):
            extra.insert(0, "**DATA DISK**")
        if not change.attributes or change.action in ("create", "delete"):
            summary = " · ".join(
                (a.after or a.before) if a.label == change.subject else f"{a.label} {a.after or a.before}"
                for a in change.attributes
            )
            before, after = (summary, "") if change.action == "delete" else ("", summary)
            rows.append(
                {
                    "resource": resource,
                    "label": cell(change.subject),
                    "before": cell(before),
                    "after": cell(after),
                    "effect": "; ".join([x for x in [effects, *extra] if x]),
                }
            )
            continue
        for number, attribute in enumerate(change.attributes):
            effect = _effect_word(attribute.effect) if attribute.effect else effects
            notes = [effect] if effect else []
            if number == 0:
                notes += extra
            if attribute.note and attribute.effect in ("ignored", "fails", "follows-vm"):
                notes.append(cell(attribute.note))
            rows.append(
                {
                    "resource": resource if number == 0 else "",
                    "label": cell(f"{change.subject}: {attribute.label}" if number == 0 else attribute.label),
                    "before": _value(attribute.before),
                    "after": _value(attribute.after),
                    "effect": "; ".join(n for n in notes if n),
                }
            )
            if attribute.diff:
                texts.append(
                    {
                        "title": f"{attribute.label} of {code(change.address)} {attribute.before}",
                        "fence": fence(attribute.diff),
                        "lines": attribute.diff,
                    }
                )
    return rows, texts


def _value(text: str) -> str:
    if not text:
        return ""
    if text == SENSITIVE:
        return "*(sensitive)*"
    return cell(text)


def _effect_word(effect: str | None) -> str:
    if effect is None:
        return ""
    text = EFFECT_TEXT.get(effect, effect)
    if effect in ("fails", "power-off", "lost-with-vm", "destroy", "replace"):
        return f"**{text}**"
    if effect == "ignored":
        return f"⚠️ {text}"
    return text


# --- assembly within the size limit -----------------------------------------------------------------------


@dataclass
class _StackParts:
    stack: StackReview
    blocks: list[str]
    diagram: str | None
    error: dict[str, str] | None
    shown_blocks: int = 0
    show_diagram: bool = False
    cut_diagram: bool = False
    cut_vms: int = field(default=0)


def render_markdown(review: Review, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The review as one Markdown comment of at most ``max_chars`` characters (at least 2,000)."""
    max_chars = max(max_chars, _MIN_CHARS)
    budget = max_chars
    for _ in range(6):
        text = _assemble(review, budget, max_chars)
        if len(text) <= max_chars:
            return text
        budget -= len(text) - max_chars + 200
    # Only when even the summary does not fit: cut hard, and say so.
    note = "\n\n> ✂️ cut at the size limit; see the JSON review for everything\n"
    return text[: max_chars - len(note)] + note


def _assemble(review: Review, budget: int, max_chars: int) -> str:
    rows, hidden_rows = _table_rows(review, budget // 3)
    facts = _facts(review)
    has_changes = any(s.has_changes for s in review.stacks)
    header = _render(
        "header.md.j2",
        marker=MARKER,
        review=review,
        facts=facts,
        rows=rows,
        totals=review.totals,
        has_changes=has_changes,
        waves=any(s.wave is not None for s in review.stacks),
    )
    if hidden_rows:
        header += f"\n✂️ {hidden_rows} more stacks in the JSON review.\n"
    if review.meta.get("kind") == "drift":
        footer = (
            "Generated by `fleetform drift`. To undo the drift, plan and apply (`fleetform plan`, then `fleetform "
            "apply`, or `fleetform deploy`); to keep it, change the manifest to match. Objects deleted outside "
            "fleetform are taken out of state by the next plan or deploy, which creates them again."
        )
    else:
        footer = (
            "Labels: in place · takes effect after a power cycle · ignored by the provider after create (rebuild "
            "to apply) · will fail · powers the VM off. Generated by `fleetform review`; apply exactly these "
            "plans with `fleetform apply`."
        )
    reserve = len(header) + len(footer) + 600  # the cut note and joins
    left = budget - reserve

    dangers = review.dangers
    danger_lines, danger_cut = _fit([danger_line(d) for d in dangers], left - 80)
    dangers_text = (
        _render("dangers.md.j2", total=len(dangers), lines=danger_lines, cut=danger_cut) if dangers else ""
    )
    left -= len(dangers_text)

    attention = review.attention
    attention_lines, attention_cut = _fit([attention_line(a) for a in attention], left // 2)
    attention_text = (
        _render("attention.md.j2", total=len(attention), lines=attention_lines, cut=attention_cut)
        if attention
        else ""
    )
    left -= len(attention_text)

    parts = [_stack_parts(s) for s in review.stacks if s.has_changes or s.status != "planned" or s.dangerous]
    skeletons = [len(_stack_text(p)) for p in parts]
    left -= sum(skeletons)
    # Per-VM details, stack by stack (each stack as far as it fits), then the diagrams.
    for part in parts:
        for block in part.blocks:
            if len(block) + 1 > left:
                break
            part.shown_blocks += 1
            left -= len(block) + 1
        part.cut_vms = len(part.blocks) - part.shown_blocks
    for part in parts:
        if part.diagram is None:
            continue
        if len(part.diagram) + 1 <= left and part.cut_vms == 0:
            part.show_diagram = True
            left -= len(part.diagram) + 1
        else:
            part.cut_diagram = True
    stacks_text = [_stack_text(p) for p in parts]

    cut = []
    cut_vms = sum(p.cut_vms for p in parts)
    cut_diagrams = sum(1 for p in parts if p.cut_diagram)
    if cut_vms:
        cut.append(f"details of {cut_vms} VM{'s' if cut_vms != 1 else ''}")
    if cut_diagrams:
        cut.append(f"{cut_diagrams} diagram{'s' if cut_diagrams != 1 else ''}")
    if attention_cut:
        cut.append(f"{attention_cut} attention item{'s' if attention_cut != 1 else ''}")
    if danger_cut:
        cut.append(f"{danger_cut} dangerous item{'s' if danger_cut != 1 else ''}")
    if hidden_rows:
        cut.append(f"{hidden_rows} table row{'s' if hidden_rows != 1 else ''}")
    cut_note = (
        f"Cut to stay under {max_chars:,} characters (GitHub's comment limit is {GITHUB_LIMIT:,}): "
        + ", ".join(cut)
        + ". Everything is in `fleetform review --format json` and in each stack's plan.txt."
        if cut
        else ""
    )
    return _render(
        "review.md.j2",
        header=header.rstrip("\n") + "\n",
        dangers=dangers_text,
        attention=attention_text,
        stacks=stacks_text,
        cut_note=cut_note,
        footer=footer,
    )


def _fit(lines: list[str], room: int) -> tuple[list[str], int]:
    """As many of ``lines`` as fit in ``room`` characters (at least the first), and how many were cut."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if kept and used + len(line) + 1 > room:
            break
        kept.append(line)
        used += len(line) + 1
    return kept, len(lines) - len(kept)


def _facts(review: Review) -> list[str]:
    meta = review.meta
    facts = []
    commits = meta.get("commits") or []
    if commits:
        facts.append("commit " + ", ".join(code(c[:12]) for c in commits))
    versions = meta.get("terraform_versions") or []
    if versions:
        facts.append("Terraform " + ", ".join(versions))
    verb = "checked" if meta.get("kind") == "drift" else "planned"
    if meta.get("created"):
        facts.append(f"{verb} {meta['created']}")
    count = len(review.stacks)
    facts.append(f"{count} stack{'s' if count != 1 else ''} {verb}")
    if meta.get("allow_data_loss"):
        facts.append("**--allow-data-loss**")
    waves: dict[tuple[int, str], int] = {}
    for stack in review.stacks:
        if stack.wave is not None and stack.has_changes:
            key = (stack.wave, stack.wave_name or "")
            waves[key] = waves.get(key, 0) + 1
    if waves:
        facts.append(
            "rollout "
            + " → ".join(f"wave {n} {name} ({count})" for (n, name), count in sorted(waves.items()))
        )
    return facts


def _wave(stack: StackReview) -> str:
    if stack.wave is None:
        return ""
    return f"{stack.wave} {stack.wave_name}" if stack.wave_name else str(stack.wave)


def _table_rows(review: Review, room: int) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    quiet = [s for s in review.stacks if not s.has_changes and not s.dangerous and s.status == "planned"]
    collapse = len(quiet) > _MANY_QUIET_STACKS
    for stack in review.stacks:
        if collapse and stack in quiet:
            continue
        rows.append(
            {"name": _stack_name(stack), "counts": stack.counts, "flag": _flag(stack), "wave": _wave(stack)}
        )
    if collapse:
        counts = {k: sum(s.counts[k] for s in quiet) for k in review.totals}
        rows.append(
            {
                "name": f"*{len(quiet)} stacks without changes*",
                "counts": counts,
                "flag": "no changes",
                "wave": "",
            }
        )
    kept: list[dict[str, Any]] = []
    used = 0
    for row in rows:
        size = len(row["name"]) + len(row["flag"]) + 40
        if kept and used + size > room:
            break
        kept.append(row)
        used += size
    return kept, len(rows) - len(kept)


def _stack_name(stack: StackReview) -> str:
    name = code(stack.name)
    if stack.orphan:
        name += " **(manifest deleted)**"
    return name


def _flag(stack: StackReview) -> str:
    if stack.status == "failed":
        return "❌ plan failed"
    if stack.status == "refused":
        return "🛑 refused: data loss"
    if stack.orphan:
        return "🛑 destroys the application"
    if stack.dangerous:
        return "🛑 dangerous"
    return "" if stack.has_changes else "no changes"


def _stack_parts(stack: StackReview) -> _StackParts:
    blocks = [vm_block(vm) for vm in stack.vms]
    if stack.others:
        blocks.append(others_block(stack.others))
    diagram = None
    if stack.diagram:
        mermaid = stack.diagram.rstrip()
        diagram = f"{fence(mermaid.splitlines())}mermaid\n{mermaid}\n{fence(mermaid.splitlines())}\n"
    error = None
    if stack.status == "failed" and stack.error:
        text = stack.error.strip()[:_ERROR_CHARS]
        error = {"fence": fence(text.splitlines()), "text": text}
    return _StackParts(stack, blocks, diagram, error)


def _stack_text(part: _StackParts) -> str:
    stack = part.stack
    icon = "❌" if stack.status == "failed" else "🛑" if stack.dangerous else "🟡"
    return _render(
        "stack.md.j2",
        stack=stack,
        icon=icon,
        open=False,
        error=part.error,
        blocks=part.blocks[: part.shown_blocks],
        cut_vms=part.cut_vms,
        diagram=part.diagram if part.show_diagram else None,
        diagram_cut=part.cut_diagram,
    )
