"""Terraform addresses from manifest names, shared by the constructs and everything that reads plans.

A construct id becomes part of a Terraform address, so renaming one means destroy and recreate: addresses
come from names, never list positions. ``hypercore_vm.<vm>``, ``hypercore_disk.<vm>__<device>``,
``hypercore_nic.<vm>__<nic key>``, ``hypercore_vm_boot_order.<vm>``, ``hypercore_vm_power_state.<vm>``,
``hypercore_virtual_disk.<asset>`` / ``hypercore_iso.<asset>``, ``hypercore_vm_snapshot_schedule.<schedule>``; each
name part through :func:`logical_id`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_INVALID = re.compile(r"[^A-Za-z0-9_-]")
SEPARATOR = "__"


def logical_id(*parts: str) -> str:
    """A valid Terraform resource name for the given name parts, joined with ``__``."""
    text = SEPARATOR.join(_INVALID.sub("_", part) for part in parts)
    if not re.match(r"[A-Za-z_]", text):
        # Terraform names must start with a letter or underscore; manifest names may start with a digit.
        text = "_" + text
    return text


def nic_keys(networks: Iterable[str]) -> list[str]:
    """The keys of a VM's NICs, given their networks in manifest order: the network name, and for the second
    NIC on the same network ``<network>__2`` (network names cannot contain ``__``, so keys never clash)."""
    seen: dict[str, int] = {}
    keys = []
    for network in networks:
        seen[network] = seen.get(network, 0) + 1
        keys.append(network if seen[network] == 1 else f"{network}{SEPARATOR}{seen[network]}")
    return keys
