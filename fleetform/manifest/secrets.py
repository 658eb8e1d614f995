"""Secrets in manifests: ``{{ secret("name") }}`` instead of the value, and a scan for values left in plain text.

A secret reference renders to a marker that no YAML or Terraform text contains. The constructs turn each marker
into ``${var.secret_<name>}``, a sensitive Terraform variable, so the value reaches the cluster at apply time
from ``TF_VAR_secret_<name>`` and never appears in synthesized JSON, plan output or fleetform's logs.
Terraform state still holds it (as it holds every attribute value): protect the state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_MARKER = re.compile("\x00fleetform-secret:([a-z][a-z0-9_]*)\x00")
VARIABLE_PREFIX = "secret_"


def valid_secret_name(name: str) -> bool:
    """Lowercase letters, digits and ``_``, starting with a letter (it becomes a Terraform variable name)."""
    return _NAME.match(name) is not None


def secret_marker(name: str) -> str:
    """The text that stands for secret ``name`` in rendered manifest data."""
    return f"\x00fleetform-secret:{name}\x00"


def secret_names(text: str) -> list[str]:
    """The secrets ``text`` refers to, in order of first use."""
    return list(dict.fromkeys(_MARKER.findall(text)))


def variable_name(name: str) -> str:
    """The Terraform variable that carries secret ``name``."""
    return VARIABLE_PREFIX + name


def with_references(text: str) -> str:
    """``text`` with every secret marker replaced by a reference to its Terraform variable."""
    return _MARKER.sub(lambda m: "${var." + variable_name(m[1]) + "}", text)


def show(text: str) -> str:
    """``text`` for people: each marker as ``{{ secret("name") }}``."""
    return _MARKER.sub(lambda m: '{{ secret("' + m[1] + '") }}', text)


@dataclass(frozen=True)
class Finding:
    """Something in a text that looks like a secret written out."""

    line: int
    """1-based line within the text."""
    what: str


# (what, pattern): each pattern matches a value written in the clear, not a reference to one.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    (
        "a password",
        re.compile(
            r"(?i)\b(?:pass(?:word|wd)?|pwd|secret|api[_-]?key|token)\b[\"']?\s*[:=]\s*[\"']?(?![\"']?\s*$)"
            r"(?!\$\{|\{\{|%\{|\$[A-Za-z_(])[^\s\"',;)]{4,}"
        ),
    ),
    ("a password", re.compile(r"(?i)\bidentified\s+by\s+'[^']+'")),
    ("a password", re.compile(r"(?i)\bwith\s+(?:encrypted\s+)?password\s+'[^']+'")),
    ("a password", re.compile(r"(?i)convertto-securestring\s+['\"][^'\"]+['\"]\s+-asplaintext")),
    ("a password", re.compile(r"(?i)\bchpasswd\b.*:\S{4,}")),
    ("a password in a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@")),
]


def scan(text: str) -> list[Finding]:
    """Lines of ``text`` that seem to hold a secret value in the clear (one finding per line)."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if _MARKER.search(line):
            line = _MARKER.sub("", line)
        for what, pattern in _PATTERNS:
            if pattern.search(line):
                findings.append(Finding(number, what))
                break
    return findings
