"""A bundle of saved plans -> a :class:`Review`: counts, dangerous changes, what needs attention, and per VM
the changed attributes in human units, every value redacted where it must be.

Pure: :func:`build_review` takes a :class:`~fleetform.review.bundle.Bundle` (already read) and returns plain
dataclasses, which :mod:`fleetform.review.markdown` and :mod:`fleetform.review.report` render.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from fleetform.review import hypercore as hc
from fleetform.review import values as fmt
from fleetform.review.bundle import Bundle, StackPlan
from fleetform.review.hypercore import EFFECT_TEXT, Effect
from fleetform.review.plan import Plan, ResourceChange

COUNT_KEYS = ("add", "change", "destroy", "replace", "import", "move", "no-op")
"""The summary columns. A replace counts as one ``replace`` (not as an add plus a destroy, as Terraform's own
"Plan:" line counts it); ``import`` and ``move`` count resources that are also in another column (an import
is usually a no-op or an update)."""

DangerKind: TypeAlias = Literal[
    "stack-failed",
    "stack-refused",
    "stack-orphan",
    "data-disk-destroyed",
    "data-disk-lost",
    "vm-destroyed",
    "vm-replaced",
    "disk-destroyed",
    "disk-lost",
    "power-off",
]
DANGER_ORDER: tuple[DangerKind, ...] = (
    "stack-failed",
    "stack-refused",
    "stack-orphan",
    "data-disk-destroyed",
    "data-disk-lost",
    "vm-destroyed",
    "vm-replaced",
    "disk-destroyed",
    "disk-lost",
    "power-off",
)
AttentionKind: TypeAlias = Literal["fails", "ignored", "power-cycle"]
ATTENTION_ORDER: tuple[AttentionKind, ...] = ("fails", "ignored", "power-cycle")

_LABELS = {
    "vcpu": "vCPUs",
    "memory": "memory",
    "clone.user_data": "cloud-init user_data",
    "clone.meta_data": "cloud-init meta_data",
    "clone.source_vm_uuid": "template",
    "clone.preserve_mac_address": "clone keeps MACs",
    "source_virtual_disk_id": "image",
    "iso_uuid": "ISO",
    "boot_devices": "boot order",
    "state": "power",
    "vlan": "VLAN",
    "vm_uuid": "VM",
    "snapshot_schedule_uuid": "snapshot schedule",
}
_TEXT_ATTRIBUTES = ("clone.user_data", "clone.meta_data")
_TYPE_ORDER = {hc.VM: 0, hc.DISK: 1, hc.NIC: 2, hc.BOOT_ORDER: 3, hc.POWER_STATE: 4}
# What a created or destroyed resource shows: its defining attributes, in this order.
_SUMMARY: dict[str, tuple[str, ...]] = {
    hc.VM: (
        "vcpu",
        "memory",
        "tags",
        "snapshot_schedule_uuid",
        "clone.source_vm_uuid",
        "clone.user_data",
        "clone.meta_data",
    ),
    hc.DISK: ("type", "size", "source_virtual_disk_id", "iso_uuid"),
    hc.NIC: ("vlan", "type"),
    hc.BOOT_ORDER: ("boot_devices",),
    hc.POWER_STATE: ("state",),
    hc.VIRTUAL_DISK: ("name", "source_url"),
    hc.ISO: ("name", "source_url"),
    hc.SNAPSHOT_SCHEDULE: ("name", "rules"),
}


@dataclass
class AttributeView:
    """One attribute of a changed resource, before and after, as people read it."""

    path: str
    label: str
    before: str
    after: str
    effect: Effect | None = None
    """What the change does on HyperCore (updates only)."""
    note: str = ""
    diff: list[str] = field(default_factory=list)
    """Changed lines of cloud-init text, secret-looking lines masked."""

    @property
    def effect_text(self) -> str:
        return EFFECT_TEXT[self.effect] if self.effect else ""


@dataclass
class ChangeView:
    """One resource change."""

    address: str
    type: str
    subject: str
    """``VM web``, ``disk data``, ``NIC web-net``, ``boot order``, ``power state``, ``image ubuntu``."""
    vm: str | None
    action: str
    attributes: list[AttributeView] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    importing_id: str | None = None
    moved_from: str | None = None
    reason: str = ""
    data_disk: bool | None = None
    dangerous: bool = False


@dataclass
class Danger:
    """A change that destroys something, or powers a VM off; or a stack the review cannot vouch for."""

    stack: str
    kind: DangerKind
    message: str
    address: str | None = None
    vm: str | None = None
    data_disk: bool = False


@dataclass
class Attention:
    """A change that will not do what it seems to: it fails, is ignored, or waits for a power cycle."""

    stack: str
    kind: AttentionKind
    message: str
    address: str
    vm: str | None = None
    hint: str = ""


@dataclass
class VmView:
    """The changes to one VM and its devices."""

    key: str
    name: str
    action: str
    """``create``, ``delete``, ``replace``, ``update`` (this VM or one of its parts), or ``import``."""
    changes: list[ChangeView]
    dangerous: bool = False


@dataclass
class StackReview:
    """One stack."""

    name: str
    status: str
    orphan: bool
    has_changes: bool
    counts: dict[str, int]
    application: str | None = None
    cluster: str | None = None
    manifest: str | None = None
    vms: list[VmView] = field(default_factory=list)
    others: list[ChangeView] = field(default_factory=list)
    """Changes that belong to no VM (images, ISOs, anything else)."""
    dangers: list[Danger] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)
    diagram: str | None = None
    message: str = ""
    """Why the plan was refused or failed, in words."""
    error: str | None = None
    """Terraform's own error output, when the plan failed."""
    terraform_version: str = ""
    wave: int | None = None
    """The stack's rollout wave (1-based), when the site has waves."""
    wave_name: str | None = None

    @property
    def dangerous(self) -> bool:
        return bool(self.dangers)

    @property
    def summary(self) -> str:
        """``1 to add, 2 to change, 6 to destroy`` (and the other non-zero counts), or why there is none."""
        if self.status == "failed":
            return "plan failed"
        parts = [
            f"{self.counts[k]} to {verb}"
            for k, verb in (
                ("import", "import"),
                ("add", "add"),
                ("change", "change"),
                ("replace", "replace"),
                ("destroy", "destroy"),
                ("move", "move"),
            )
            if self.counts[k]
        ]
        text = ", ".join(parts) if parts else "no changes"
        if self.status == "refused":
            return f"refused: {text}" if parts else "refused"
        return text


@dataclass
class Review:
    """Every stack of a bundle, what is dangerous, and what needs attention."""

    stacks: list[StackReview]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dangers(self) -> list[Danger]:
        found = [d for s in self.stacks for d in s.dangers]
        return sorted(found, key=lambda d: DANGER_ORDER.index(d.kind))

    @property
    def attention(self) -> list[Attention]:
        found = [a for s in self.stacks for a in s.attention]
        return sorted(found, key=lambda a: ATTENTION_ORDER.index(a.kind))

    @property
    def dangerous(self) -> bool:
        """Something is destroyed, replaced or powered off, or a stack was refused or orphaned."""
        return any(d.kind != "stack-failed" for d in self.dangers)

    @property
    def failed(self) -> bool:
        """A stack has no plan: the review is incomplete."""
        return any(s.status == "failed" for s in self.stacks)

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(s.counts[k] for s in self.stacks) for k in COUNT_KEYS}


# --- building ---------------------------------------------------------------------------------------------


def build_review(bundle: Bundle) -> Review:
    """The review of every stack in ``bundle``: dangerous stacks first, then by name."""
    stacks = [_stack_review(stack) for stack in bundle.stacks]
    indexes = [index for _, index in bundle.indexes]
    drift = any(index.kind == "drift" for index in indexes)
    if drift:
        # What already happened on the cluster cannot fail, be ignored or wait for a power cycle.
        for stack in stacks:
            stack.attention = []
    stacks.sort(key=lambda s: (not s.dangerous, not s.has_changes, s.name))
    meta: dict[str, Any] = {
        "kind": "drift" if drift else "plan",
        "commits": sorted({i.commit for i in indexes if i.commit}),
        "terraform_versions": sorted({i.terraform_version for i in indexes if i.terraform_version}),
        "created": max((i.created for i in indexes), default=None),
        "allow_data_loss": any(i.allow_data_loss for i in indexes),
    }
    return Review(stacks=stacks, meta=meta)


def _stack_review(stack: StackPlan) -> StackReview:
    entry = stack.entry
    review = StackReview(
        name=stack.name,
        status=entry.status,
        orphan=entry.orphan,
        has_changes=entry.changes,
        counts=dict.fromkeys(COUNT_KEYS, 0),
        application=entry.application,
        cluster=entry.cluster,
        manifest=entry.manifest,
        diagram=stack.diagram,
        message=entry.message,
        error=stack.error,
        terraform_version=stack.plan.terraform_version if stack.plan else "",
        wave=entry.wave,
        wave_name=entry.wave_name,
    )
    if entry.status == "failed":
        review.dangers.append(
            Danger(stack.name, "stack-failed", f"the plan failed: {entry.message or 'see error.txt'}")
        )
        return review
    plan = stack.plan
    if plan is None:
        if entry.status == "refused":
            review.dangers.append(
                Danger(stack.name, "stack-refused", entry.message or "refused by the data-loss guard")
            )
        return review
    vlans: dict[int, list[str]] = {}
    for network, vlan_id in sorted(entry.networks.items()):
        vlans.setdefault(vlan_id, []).append(network)
    context = _Context(plan, vlans)
    views: list[ChangeView] = []
    for rc in plan.managed():
        _count(review.counts, rc)
        view = context.view(rc)
        if view is not None:
            views.append(view)
    review.has_changes = review.has_changes or any(v.action != "no-op" for v in views)
    _mark_day2_repairs(views, entry.deleted_outside, entry.power_replaced)
    _add_dangers(review, plan, views)
    _add_attention(review, plan, views)
    _group(review, plan, views)
    return review


RECREATED = "deleted outside fleetform: will be created again"
POWER_REPLACED = (
    "power differs from the manifest: the power state is re-created (the provider cannot change it in place)"
)


def _mark_day2_repairs(views: Sequence[ChangeView], deleted: Sequence[str], power: Sequence[str]) -> None:
    """Say why fleetform plans what a plain Terraform plan would not: objects deleted outside fleetform taken out
    of state and created again, and power states replaced rather than updated (:mod:`fleetform.terraform.plans`)."""
    for view in views:
        if view.address in deleted and view.action == "create":
            view.reason = RECREATED
        elif view.address in power and view.action == "replace":
            view.reason = POWER_REPLACED


def _count(counts: dict[str, int], rc: ResourceChange) -> None:
    key = {
        "create": "add",
        "update": "change",
        "delete": "destroy",
        "replace": "replace",
        "no-op": "no-op",
    }.get(rc.action)
    if key is not None:
        counts[key] += 1
    if rc.is_import:
        counts["import"] += 1
    if rc.is_move:
        counts["move"] += 1


@dataclass
class _Context:
    plan: Plan
    vlans: Mapping[int, Sequence[str]]

    def view(self, rc: ResourceChange) -> ChangeView | None:
        action = rc.action
        if action in ("no-op", "read") and not rc.is_import and not rc.is_move:
            return None
        view = ChangeView(
            address=rc.address,
            type=rc.type,
            subject=self.subject(rc.address),
            vm=hc.vm_key(rc.type, rc.name),
            action=action,
            importing_id=rc.importing_id,
            moved_from=rc.previous_address if rc.is_move else None,
        )
        if rc.type == hc.DISK:
            view.data_disk = hc.is_data_disk(self.plan, rc.address)
        if action == "create":
            view.attributes = self.summary(rc, rc.after, "after")
            view.effects = ["create"]
        elif action == "delete":
            view.attributes = self.summary(rc, rc.before, "before")
            view.effects = ["destroy"]
            view.reason = hc.reason_text(rc)
        elif action == "replace":
            view.attributes = self.updates(rc)
            view.effects = ["replace"]
            view.reason = hc.replace_reason(rc)
        elif action in ("update", "no-op"):
            view.attributes = self.updates(rc)
            view.effects = list(dict.fromkeys(a.effect for a in view.attributes if a.effect))
        elif action == "forget":
            view.reason = "removed from state only; the object stays on HyperCore"
        return view

    # -- naming

    def subject(self, address: str) -> str:
        rtype, _, name = address.partition(".")
        if rtype == hc.VM:
            return f"VM {hc.vm_name(self.plan, name) or name}"
        if rtype == hc.DISK:
            return f"disk {hc.device_name(rtype, name)}"
        if rtype == hc.NIC:
            return f"NIC {hc.device_name(rtype, name)}"
        if rtype == hc.BOOT_ORDER:
            return "boot order"
        if rtype == hc.POWER_STATE:
            return "power state"
        if rtype == hc.VIRTUAL_DISK:
            return f"image {name}"
        if rtype == hc.ISO:
            return f"ISO {name}"
        if rtype == hc.SNAPSHOT_SCHEDULE:
            return f"snapshot schedule {name}"
        return address

    def _by_id(self, uuid: Any) -> str:
        if not isinstance(uuid, str):
            return fmt.plain(uuid)
        address = self.plan.address_of_id(uuid)
        return self.subject(address) if address else uuid

    # -- values

    def summary(self, rc: ResourceChange, value: Any, side: str) -> list[AttributeView]:
        shown = []
        for path_text in _SUMMARY.get(rc.type, ()):
            path = tuple(path_text.split("."))
            raw = fmt.get(value, path)
            if raw is None and not (side == "after" and fmt.marked(rc.after_unknown, path)):
                continue
            text = self.show(rc, path, raw, side)
            if path_text in ("tags", "snapshot_schedule_uuid") and text == fmt.ABSENT:
                continue
            if path_text in _TEXT_ATTRIBUTES and text not in (fmt.SENSITIVE, fmt.UNKNOWN):
                text = f"({len(str(raw).splitlines())} lines)"
            before, after = ("", text) if side == "after" else (text, "")
            shown.append(AttributeView(path_text, _LABELS.get(path_text, path_text), before, after))
        return shown

    def updates(self, rc: ResourceChange) -> list[AttributeView]:
        shown = []
        for path in _changed_paths(rc):
            if hc.hidden(rc.type, path):
                continue
            before_raw, after_raw = fmt.get(rc.before, path), fmt.get(rc.after, path)
            unknown = fmt.marked(rc.after_unknown, path)
            if unknown and before_raw is None:
                continue  # a computed value filled in on apply: nothing a reviewer decides on
            path_text = ".".join(str(p) for p in path)
            effect = hc.attribute_effect(rc, path)
            view = AttributeView(
                path_text,
                _LABELS.get(path_text, path_text),
                self.show(rc, path, before_raw, "before"),
                self.show(rc, path, after_raw, "after"),
                effect.effect,
                effect.note,
            )
            if (
                path_text in _TEXT_ATTRIBUTES
                and fmt.SENSITIVE not in (view.before, view.after)
                and not unknown
            ):
                view.before, view.diff = fmt.text_change(before_raw, after_raw)
                view.after = ""
            shown.append(view)
        return shown

    def show(self, rc: ResourceChange, path: tuple[str | int, ...], value: Any, side: str) -> str:
        marks = rc.before_sensitive if side == "before" else rc.after_sensitive
        if fmt.marked(marks, path):
            return fmt.SENSITIVE
        if side == "after" and fmt.marked(rc.after_unknown, path):
            if path == ("boot_devices",):
                return self._boot_devices_from_config(rc) or fmt.UNKNOWN
            if path == ("snapshot_schedule_uuid",):
                return self._snapshot_schedule_from_config(rc) or fmt.UNKNOWN
            return fmt.UNKNOWN
        head = str(path[0])
        text = ".".join(str(p) for p in path)
        if value is None:
            return fmt.ABSENT
        if rc.type == hc.VM and head == "memory":
            return fmt.memory(value)
        if rc.type == hc.VM and head == "tags":
            return fmt.tags(value)
        if rc.type == hc.DISK and head == "size":
            return fmt.disk_size(value)
        if rc.type == hc.NIC and head == "vlan":
            return fmt.vlan(value, self.vlans)
        if head == "vm_uuid" or head in ("source_virtual_disk_id", "iso_uuid"):
            return self._by_id(value)
        if rc.type == hc.VM and head == "snapshot_schedule_uuid":
            return self._by_id(value) if value else fmt.ABSENT
        if rc.type == hc.SNAPSHOT_SCHEDULE and head == "rules":
            return fmt.snapshot_rules(value)
        if text == "clone.source_vm_uuid" and isinstance(value, str):
            name = self.plan.template_name(value)
            return f"{name} ({value[:8]})" if name else f"VM {value[:8]}"
        if head == "boot_devices" and isinstance(value, list):
            return " → ".join(self._by_id(v) for v in value) or fmt.ABSENT
        return fmt.plain(value)

    def _snapshot_schedule_from_config(self, rc: ResourceChange) -> str:
        refs = self.plan.references.get(rc.address, {}).get("snapshot_schedule_uuid")
        return self.subject(refs[0]) if refs else ""

    def _boot_devices_from_config(self, rc: ResourceChange) -> str:
        refs = self.plan.references.get(rc.address, {}).get("boot_devices")
        return " → ".join(self.subject(r) for r in refs) if refs else ""


def _changed_paths(rc: ResourceChange) -> list[tuple[str | int, ...]]:
    """Leaf paths whose value changes (objects are walked, lists compared whole), in attribute order."""
    paths: list[tuple[str | int, ...]] = []

    def walk(before: Any, after: Any, unknown: Any, prefix: tuple[str | int, ...]) -> None:
        if isinstance(before, Mapping) or isinstance(after, Mapping):
            b = before if isinstance(before, Mapping) else {}
            a = after if isinstance(after, Mapping) else {}
            u = unknown if isinstance(unknown, Mapping) else {}
            if unknown is True:
                paths.append(prefix)
                return
            for key in dict.fromkeys([*b, *a, *u]):
                walk(b.get(key), a.get(key), u.get(key), (*prefix, key))
            return
        if unknown is True or fmt.any_marked(unknown) or before != after:
            paths.append(prefix)

    walk(rc.before, rc.after, rc.after_unknown, ())
    return [p for p in paths if p]


# --- dangers and attention ----------------------------------------------------------------------------------


def _add_dangers(review: StackReview, plan: Plan, views: list[ChangeView]) -> None:
    stack = review.name
    by_address = {v.address: v for v in views}
    if review.status == "refused":
        review.dangers.append(
            Danger(stack, "stack-refused", review.message or "refused by the data-loss guard")
        )
    count = sum(1 for rc in plan.managed() if rc.action == "delete")
    if review.orphan and count:
        review.dangers.append(
            Danger(
                stack,
                "stack-orphan",
                f"the manifest of stack `{stack}` was deleted: the plan destroys everything in its state "
                f"({count} resources)",
            )
        )
    deleted_vms: set[str] = set()
    for rc in plan.managed():
        if rc.type != hc.VM or rc.action not in ("delete", "replace"):
            continue
        name = hc.vm_name(plan, rc.name) or rc.name
        deleted_vms.add(rc.name)
        if rc.action == "delete":
            message = f"VM `{name}` is destroyed ({hc.reason_text(rc) or 'destroy'}): shut down, then deleted with its disks"
            review.dangers.append(Danger(stack, "vm-destroyed", message, rc.address, rc.name))
        else:
            why = hc.replace_reason(rc)
            message = (
                f"VM `{name}` is replaced{f' ({why})' if why else ''}: HyperCore deletes it with its disks, then a "
                "new VM is created"
            )
            review.dangers.append(Danger(stack, "vm-replaced", message, rc.address, rc.name))
        if rc.address in by_address:
            by_address[rc.address].dangerous = True
    for loss in hc.disk_losses(plan):
        size = f" ({fmt.disk_size(loss.size_gb)})" if loss.size_gb is not None else ""
        if loss.data:
            kind: DangerKind = "data-disk-lost" if loss.with_vm else "data-disk-destroyed"
            message = f"**DATA DISK** `{loss.disk}`{size} of VM `{loss.vm_name}` is destroyed: {loss.why}"
        else:
            kind = "disk-lost" if loss.with_vm else "disk-destroyed"
            message = f"boot disk `{loss.disk}`{size} of VM `{loss.vm_name}` is destroyed: {loss.why}"
        review.dangers.append(Danger(stack, kind, message, loss.address, loss.vm, data_disk=loss.data))
        if loss.address in by_address:
            by_address[loss.address].dangerous = True
            if loss.with_vm:
                by_address[loss.address].effects = ["lost-with-vm"]
    for rc in plan.managed():
        if rc.type != hc.POWER_STATE:
            continue
        name = hc.vm_name(plan, rc.name) or rc.name
        if rc.action == "delete" and rc.name not in deleted_vms:
            message = f"VM `{name}` is powered off: its power state leaves the configuration, and destroying it shuts the VM down"
        elif rc.action in ("update", "replace") and any(
            a.effect == "power-off"
            for a in (by_address[rc.address].attributes if rc.address in by_address else [])
        ):
            message = f"VM `{name}` is powered off ({fmt.plain(fmt.get(rc.before, ('state',)))} → {fmt.plain(fmt.get(rc.after, ('state',)))})"
        else:
            continue
        review.dangers.append(Danger(stack, "power-off", message, rc.address, rc.name))
        if rc.address in by_address:
            by_address[rc.address].dangerous = True
            by_address[rc.address].effects = ["power-off"]
    review.dangers.sort(key=lambda d: (DANGER_ORDER.index(d.kind), d.address or ""))


def _add_attention(review: StackReview, plan: Plan, views: list[ChangeView]) -> None:
    stack = review.name
    vm_actions = {rc.name: rc.action for rc in plan.managed() if rc.type == hc.VM}
    power = {rc.name: rc for rc in plan.managed() if rc.type == hc.POWER_STATE}
    for view in views:
        name = hc.vm_name(plan, view.vm) if view.vm else None
        where = (
            f"{view.subject} of VM `{name}`"
            if name and not view.subject.startswith("VM ")
            else f"{view.subject}"
        )
        for kind in ATTENTION_ORDER:
            found = [a for a in view.attributes if a.effect == kind]
            if not found:
                continue
            changed = ", ".join(f"{a.label} {_change_words(a)}" for a in found)
            message = f"{where}: {changed} — {found[0].effect_text}"
            hint = found[0].note if kind != "power-cycle" else "power-cycle the VM to use it"
            review.attention.append(Attention(stack, kind, message, view.address, view.vm, hint))
        if (
            view.type == hc.DISK
            and view.action == "delete"
            and view.vm
            and vm_actions.get(view.vm) not in ("delete", "replace")
        ):
            state = power.get(view.vm)
            after_state = fmt.get(state.after, ("state",)) if state is not None else None
            if state is not None and state.action in ("no-op", "update") and after_state == "RUNNING":
                review.attention.append(
                    Attention(
                        stack,
                        "fails",
                        f'{where}: removing a disk from a running VM fails on HyperCore ("Still in use")',
                        view.address,
                        view.vm,
                        "set the VM's state to shutoff in this change (and back to running in the next), or shut it "
                        "down before applying",
                    )
                )
    review.attention.sort(key=lambda a: (ATTENTION_ORDER.index(a.kind), a.address))


def _change_words(attribute: AttributeView) -> str:
    if attribute.diff or attribute.path in _TEXT_ATTRIBUTES:
        return f"changes {attribute.before}".rstrip()
    return f"{attribute.before} → {attribute.after}"


def _group(review: StackReview, plan: Plan, views: list[ChangeView]) -> None:
    by_vm: dict[str, list[ChangeView]] = {}
    for view in views:
        if view.vm is None:
            review.others.append(view)
        else:
            by_vm.setdefault(view.vm, []).append(view)
    for key, changes in by_vm.items():
        changes.sort(key=lambda c: (_TYPE_ORDER.get(c.type, len(_TYPE_ORDER)), c.address))
        vm_change = next((c for c in changes if c.type == hc.VM), None)
        if (
            vm_change is not None
            and vm_change.importing_id is not None
            and vm_change.action in ("no-op", "update")
        ):
            action = "import"
        elif vm_change is not None and vm_change.action in ("create", "delete", "replace"):
            action = vm_change.action
        else:
            action = "update"
        review.vms.append(
            VmView(
                key=key,
                name=hc.vm_name(plan, key) or key,
                action=action,
                changes=changes,
                dangerous=any(c.dangerous for c in changes),
            )
        )
    review.vms.sort(key=lambda v: (not v.dangerous, v.name))
