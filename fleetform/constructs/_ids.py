"""Terraform addresses from manifest names. Private to the constructs.

A construct id becomes part of a Terraform address, so renaming one means destroy and recreate: addresses
come from names, never list positions.
"""

from __future__ import annotations

import re

_INVALID = re.compile(r"[^A-Za-z0-9_-]")
SEPARATOR = "__"


def logical_id(*parts: str) -> str:
    """A valid Terraform resource name for the given name parts, joined with ``__``."""
    text = SEPARATOR.join(_INVALID.sub("_", part) for part in parts)
    if not re.match(r"[A-Za-z_]", text):
        # Terraform names must start with a letter or underscore; manifest names may start with a digit.
        text = "_" + text
    return text
