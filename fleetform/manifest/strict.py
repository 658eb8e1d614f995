"""``--strict``: what Fleet Manager's published JSON schema (Application v1.0.0) would reject.

fleetform accepts the documented manifest format, which is a little looser than the schema Fleet Manager
publishes (``https://kraken.scalecomputing.com/schemas/application/v1.0.0.json``): the documentation's own
examples use colons in tags and labels, and fleetform takes sizes with units and ``http://``/``file://`` URLs.
These findings say what to change so that Fleet Manager accepts the same file. The patterns below are the
schema's own. Capacity follows the schema exactly: an integer must lie in 1 GiB..1 TiB, a string need only
match the schema's pattern (which, despite the schema's description, does not allow ``10Gi``).
"""

from __future__ import annotations

import re
from typing import Any

from fleetform.errors import Issue
from fleetform.manifest.loader import LoadedManifest
from fleetform.manifest.units import GiB, TiB, format_size
from fleetform.yamlsrc import NodePath

# The published schema's patterns, verbatim.
APP_NAME = re.compile(r"^[a-zA-Z0-9_.-]([-a-zA-Z0-9_.{}]*[a-zA-Z0-9_.}])?$")
LABEL = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$")
ASSET_NAME = re.compile(r"^[a-zA-Z0-9_.-]([-a-zA-Z0-9_.]*[a-zA-Z0-9_.])?$")
DEVICE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MEMORY = re.compile(r"^[0-9]+$")
CAPACITY = re.compile(r"^([0-9]+([EPTGMK]i?B|[EPTGMK]b)?|[0-9]+)$")

# pattern -> (the characters it allows anywhere, the rule in words)
_RULES = {
    APP_NAME: (
        "-A-Za-z0-9_.{}",
        "letters, digits, '-', '_', '.' and '{}' for templating; no '-' or '{' at the end",
    ),
    LABEL: ("-A-Za-z0-9_.", "letters, digits, '-', '_', '.'; a letter or digit at both ends"),
    ASSET_NAME: ("-A-Za-z0-9_.", "letters, digits, '-', '_', '.'; no '-' at the end"),
    DEVICE_NAME: ("-a-z0-9", "lowercase letters, digits and '-'; a letter or digit at both ends"),
}
_OPTIONAL_KEYS = ("source", "capacity", "boot", "cloud_init_data", "user_data", "meta_data")
_PREFIX = "Fleet Manager's schema: "


def strict_issues(lm: LoadedManifest) -> list[Issue]:
    """Every place where ``lm`` departs from Fleet Manager's published schema, as errors with a fix."""
    checker = _Checker(lm)
    checker.run()
    return checker.issues


class _Checker:
    def __init__(self, lm: LoadedManifest) -> None:
        self.lm = lm
        # Fleet Manager reads the file as written: templates unrendered, replicas not expanded.
        self.doc = lm.source.doc if lm.source is not None else lm.doc
        self.raw: Any = self.doc.data
        self.issues: list[Issue] = []

    def add(self, path: NodePath, message: str, hint: str) -> None:
        self.issues.append(Issue(self.doc.locate(path), _PREFIX + message, hint))

    def raw_at(self, path: NodePath) -> Any:
        node = self.raw
        for part in path:
            node = node[part]
        return node

    def name(self, path: NodePath, what: str, value: str, pattern: re.Pattern[str], max_length: int) -> None:
        if len(value) > max_length:
            self.add(path, f"{what} '{value}' is longer than {max_length} characters", "shorten it")
        if pattern.fullmatch(value):
            return
        chars, rule = _RULES[pattern]
        bad = sorted({c for c in value if not re.fullmatch(f"[{chars}]", c)})
        reason = (
            f"contains {', '.join(repr(c) for c in bad)}"
            if bad
            else "starts or ends with a character it may not"
        )
        hint = f"allowed: {rule}"
        fixed = _suggest(value, pattern)
        if fixed and fixed != value:
            hint += f"; e.g. '{fixed}'"
        if ":" in bad:
            hint += " (the documentation's examples use ':', the published schema does not allow it)"
        self.add(path, f"{what} '{value}' {reason}", hint)

    def run(self) -> None:
        if "x-fleetform" in self.raw:
            self.issues.append(
                Issue(
                    self.doc.locate_key(("x-fleetform",)),
                    _PREFIX
                    + "'x-fleetform' is fleetform's extension key; the published schema allows no keys "
                    "besides type, version, metadata and spec at the top, so Fleet Manager may reject it",
                    "remove it from files that Fleet Manager must read",
                    severity="warning",
                )
            )
        metadata = self.raw["metadata"]
        self.name(("metadata", "name"), "application name", metadata["name"], APP_NAME, 255)
        for i, label in enumerate(metadata.get("labels") or []):
            self.name(("metadata", "labels", i), "label", label, LABEL, 63)
        for i, asset in enumerate(self.raw["spec"].get("assets") or []):
            at: NodePath = ("spec", "assets", i)
            self.name((*at, "name"), "asset name", asset["name"], ASSET_NAME, 63)
            if not str(asset["url"]).startswith("https://"):
                self.add(
                    (*at, "url"),
                    f"asset URL '{asset['url']}' is not https://",
                    "serve the image over https:// (fleetform.yaml images: can still mirror it locally)",
                )
        for i, vm in enumerate(self.raw["spec"]["resources"]):
            self.vm(("spec", "resources", i))
            if "x-fleetform" in vm:
                self.issues.append(
                    Issue(
                        self.doc.locate_key(("spec", "resources", i, "x-fleetform")),
                        _PREFIX + "'x-fleetform' is fleetform's extension key; the published schema does not "
                        "define it, so Fleet Manager may ignore or reject it",
                        "remove it from files that Fleet Manager must read",
                        severity="warning",
                    )
                )
        self.nulls((), self.raw)

    def vm(self, at: NodePath) -> None:
        vm = self.raw_at(at)
        spec = vm["spec"]
        s: NodePath = (*at, "spec")
        self.name((*at, "name"), "VM name", vm["name"], APP_NAME, 63)
        description = spec.get("description", "")
        if isinstance(description, str) and len(description) > 255:
            self.add((*s, "description"), "description is longer than 255 characters", "shorten it")
        if spec["cpu"] > 128:
            self.add((*s, "cpu"), f"cpu {spec['cpu']} is more than 128", "use at most 128 vCPUs")
        memory = spec["memory"]
        if not (isinstance(memory, str) and MEMORY.fullmatch(memory)):
            rendered = next((r for r, o in self.lm.origins.items() if o == at[2]), at[2])
            model_memory = self.lm.application.spec.resources[rendered].spec.memory
            self.add(
                (*s, "memory"),
                f"memory {memory!r} is not a quoted string of digits (bytes)",
                f'write memory: "{model_memory}"  ({format_size(model_memory)})',
            )
        for d, device in enumerate(spec.get("storage_devices") or []):
            self.storage_device((*s, "storage_devices", d), device)
        for n, nic in enumerate(spec.get("network_devices") or []):
            self.name((*s, "network_devices", n, "name"), "network device name", nic["name"], DEVICE_NAME, 63)
        for t, tag in enumerate(spec.get("tags") or []):
            self.name((*s, "tags", t), "tag", tag, LABEL, 63)

    def storage_device(self, at: NodePath, device: dict[str, Any]) -> None:
        self.name((*at, "name"), "storage device name", device["name"], DEVICE_NAME, 63)
        if device.get("source") is None and device.get("capacity") is None:
            self.add(
                at, f"storage device '{device['name']}' has neither source nor capacity", "add one of them"
            )
        capacity = device.get("capacity")
        if isinstance(capacity, int) and not GiB <= capacity <= TiB:
            self.add(
                (*at, "capacity"),
                f"capacity {capacity} ({format_size(capacity)}) is outside 1 GiB..1 TiB",
                f"use {GiB}..{TiB} bytes",
            )
        elif isinstance(capacity, str) and not CAPACITY.fullmatch(capacity):
            self.add(
                (*at, "capacity"),
                f"capacity '{capacity}' does not match the schema's size pattern",
                "write digits with an optional unit and no space, e.g. 10GiB, 500GB or 53687091200",
            )
        boot = device.get("boot")
        if isinstance(boot, int) and boot > 255:
            self.add((*at, "boot"), f"boot {boot} is more than 255", "use 1..255 (1 boots first)")

    def nulls(self, path: NodePath, node: Any) -> None:
        """Optional keys written with no value: the schema wants a string/integer or no key at all."""
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None and key in _OPTIONAL_KEYS:
                    self.add((*path, key), f"'{key}' is empty (null)", "remove the key or give it a value")
                elif isinstance(value, dict | list):
                    self.nulls((*path, key), value)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                self.nulls((*path, index), item)


def _suggest(value: str, pattern: re.Pattern[str]) -> str:
    """A nearby value that matches ``pattern``, or "" when there is no obvious one."""
    chars, _ = _RULES[pattern]
    text = value.lower() if pattern is DEVICE_NAME else value
    text = re.sub(r"-{2,}", "-", re.sub(f"[^{chars}]", "-", text))
    text = text.strip("-_." if pattern in (LABEL, DEVICE_NAME) else "-")
    return text if pattern.fullmatch(text) else ""
