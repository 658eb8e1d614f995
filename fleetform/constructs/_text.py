"""Literal text in Terraform JSON. Private to the constructs.

Terraform reads ``${...}`` and ``%{...}`` inside every JSON string as template syntax, so a cloud-init script
that says ``echo ${HOME}`` would fail to plan, or worse, interpolate. Text that comes from a manifest is
escaped (``$${`` and ``%%{``); cdktf's own reference tokens (``${TfToken[...]}``) are left alone so that
references still resolve.
"""

from __future__ import annotations

import re

# A "${" or "%{" that does not start a cdktf token.
_TEMPLATE = re.compile(r"([$%])\{(?!TfToken\[)")


def literal(text: str) -> str:
    """``text`` escaped so that Terraform reads it back unchanged."""
    return _TEMPLATE.sub(r"\1\1{", text)
