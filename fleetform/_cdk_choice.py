"""Which CDK library fleetform runs on: cdktf 0.21 (the default) or its maintained fork CDK Terrain (cdktn).

Deciding imports neither (so the synth cache can name the library without starting jsii). ``FLEETFORM_CDK``
chooses (``cdktf`` or ``cdktn``); unset, it is cdktf when installed, else cdktn. Both libraries write the same
Terraform JSON for fleetform's stacks; only ``//.metadata.version`` (and ``manifest.json``'s ``version``) tell
them apart.
"""

from __future__ import annotations

import importlib.util
import os
from importlib import metadata

ENV = "FLEETFORM_CDK"
LIBRARIES = ("cdktf", "cdktn")


def library() -> str:
    """The import name of the CDK library to use."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen:
        if chosen not in LIBRARIES:
            raise ImportError(f"{ENV}={chosen!r}: fleetform runs on {' or '.join(LIBRARIES)}")
        return chosen
    return "cdktf" if importlib.util.find_spec("cdktf") is not None else "cdktn"


def library_version() -> str:
    """The installed version of :func:`library` (what cdktf writes as ``version`` into its output)."""
    return metadata.version(library())
