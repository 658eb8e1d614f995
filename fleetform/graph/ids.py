"""Element ids of an application diagram, and Terraform addresses -> element ids (for plan reviews).

Every element a diagram draws has an id built by one of the functions below; a highlight map uses these ids.
They are names, never list positions, like Terraform addresses:

=================================  ==========================================================================
element id                         element
=================================  ==========================================================================
``vm:<vm>``                        a VM (``resources[].name``)
``disk:<vm>/<device>``             a storage device of that VM (``storage_devices[].name``)
``nic:<vm>/<key>``                 a network device of that VM; ``key`` is the network name, ``<network>__2``
                                   for the VM's second NIC on the same network (the Terraform address key)
``image:<asset>``                  an asset (``spec.assets[].name``)
``network:<network>``              a network (a name in fleetform.yaml ``networks:``), drawn as a group
=================================  ==========================================================================

Ids are opaque: build them with these functions and compare them whole, never split them (names may contain
``/`` or ``:``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, TypeAlias, get_args

from fleetform.addresses import logical_id, nic_keys
from fleetform.manifest.loader import LoadedManifest
from fleetform.manifest.model import Application

ChangeKind: TypeAlias = Literal["create", "update", "delete", "replace"]
CHANGE_KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)
_IGNORED_KINDS = ("no-op", "noop", "read", "")
# When several changes land on one element, the strongest is shown.
_STRENGTH: dict[ChangeKind, int] = {"update": 0, "create": 1, "delete": 2, "replace": 3}


def vm_id(vm: str) -> str:
    """The element id of VM ``vm``."""
    return f"vm:{vm}"


def disk_id(vm: str, device: str) -> str:
    """The element id of storage device ``device`` of VM ``vm``."""
    return f"disk:{vm}/{device}"


def nic_id(vm: str, key: str) -> str:
    """The element id of the network device of VM ``vm`` with key ``key`` (see :func:`nic_keys`)."""
    return f"nic:{vm}/{key}"


def image_id(asset: str) -> str:
    """The element id of asset ``asset``."""
    return f"image:{asset}"


def network_id(network: str) -> str:
    """The element id of network ``network``."""
    return f"network:{network}"


def stronger(a: ChangeKind | None, b: ChangeKind) -> ChangeKind:
    """The change to show when an element has both: replace > delete > create > update."""
    return b if a is None or _STRENGTH[b] > _STRENGTH[a] else a


def change_kind(kind: str) -> ChangeKind | None:
    """``kind`` as a ChangeKind, None for no change (``no-op``, ``read``). Raises ValueError for anything else."""
    text = kind.strip().lower()
    if text in _IGNORED_KINDS:
        return None
    for known in CHANGE_KINDS:
        if text == known:
            return known
    raise ValueError(f"unknown change kind {kind!r}; use one of {', '.join(CHANGE_KINDS)} (or no-op)")


# --- Terraform addresses ---------------------------------------------------------------------------

# Resource type -> the element kind it draws as. Boot order and power state are parts of their VM: any change
# to them is an update of the VM (unless the VM itself is created, deleted or replaced, which is stronger).
_VM_TYPES = ("hypercore_vm",)
_VM_PART_TYPES = ("hypercore_vm_boot_order", "hypercore_vm_power_state")
_DISK_TYPES = ("hypercore_disk",)
_NIC_TYPES = ("hypercore_nic",)
_IMAGE_TYPES = ("hypercore_virtual_disk", "hypercore_iso")
_SEPARATOR = "__"
_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_INDEX = re.compile(r"\[[^\]]*\]$")


def highlight_from_addresses(
    addresses: Mapping[str, str], app: LoadedManifest | Application | None = None
) -> dict[str, ChangeKind]:
    """Element ids to highlight for Terraform resource changes, e.g. from a plan review.

    ``addresses`` maps resource addresses to change kinds (``create``, ``update``, ``delete``, ``replace``;
    ``no-op`` and ``read`` are skipped): ``hypercore_vm.<vm>``, ``hypercore_vm_boot_order.<vm>`` and
    ``hypercore_vm_power_state.<vm>`` (an update of the VM), ``hypercore_disk.<vm>__<disk>``,
    ``hypercore_nic.<vm>__<key>``, ``hypercore_virtual_disk.<asset>`` and ``hypercore_iso.<asset>``, optionally
    under ``module.<name>.`` and with an ``[index]``. Data sources and other types are skipped; several
    addresses on one element give the strongest change (:func:`stronger`).

    Terraform names are manifest names with characters outside ``A-Z a-z 0-9 _ -`` replaced by ``_``, a ``_``
    in front of a leading digit, and ``__`` between a VM and its device. Given ``app``, every address of the
    application maps back to its exact element. Without it (or for a resource that is no longer in ``app``,
    such as a deleted VM), names are read back as written: the first ``__`` splits VM from device, and names
    that were changed on the way to Terraform come back changed.
    """
    index = _address_index(app) if app is not None else {}
    result: dict[str, ChangeKind] = {}
    for address, given in addresses.items():
        kind = change_kind(given)
        parsed = _parse_address(address)
        if kind is None or parsed is None:
            continue
        rtype, name = parsed
        element: str | None
        if rtype in _VM_TYPES or rtype in _VM_PART_TYPES:
            element = index.get(("vm", name)) or vm_id(_unescape(name))
            if rtype in _VM_PART_TYPES:
                kind = "update"
        elif rtype in _DISK_TYPES or rtype in _NIC_TYPES:
            group = "disk" if rtype in _DISK_TYPES else "nic"
            element = index.get((group, name)) or _device_guess(group, name)
        elif rtype in _IMAGE_TYPES:
            element = index.get(("image", name)) or image_id(name)
        else:
            continue
        if element:
            result[element] = stronger(result.get(element), kind)
    return result


def _address_index(app: LoadedManifest | Application) -> dict[tuple[str, str], str]:
    application = app.application if isinstance(app, LoadedManifest) else app
    index: dict[tuple[str, str], str] = {}
    for asset in application.spec.assets:
        index.setdefault(("image", logical_id(asset.name)), image_id(asset.name))
    for vm in application.spec.resources:
        index.setdefault(("vm", logical_id(vm.name)), vm_id(vm.name))
        for device in vm.spec.storage_devices:
            index.setdefault(("disk", logical_id(vm.name, device.name)), disk_id(vm.name, device.name))
        for key in nic_keys(nic.name for nic in vm.spec.network_devices):
            index.setdefault(("nic", logical_id(vm.name, key)), nic_id(vm.name, key))
    return index


def _parse_address(address: str) -> tuple[str, str] | None:
    """``(type, name)`` of a managed resource address; None for data sources and anything else."""
    rest = address.strip()
    while rest.startswith("module."):
        parts = rest.split(".", 2)
        if len(parts) < 3:
            return None
        rest = parts[2]
    if rest.startswith("data."):
        return None
    rtype, dot, name = rest.partition(".")
    name = _INDEX.sub("", name)
    if not dot or not rtype or not name:
        return None
    return rtype, name


def _device_guess(group: str, name: str) -> str | None:
    vm, separator, device = name.partition(_SEPARATOR)
    if not separator or not vm or not device:
        return None
    vm = _unescape(vm)
    return disk_id(vm, device) if group == "disk" else nic_id(vm, device)


def _unescape(name: str) -> str:
    """Undo the ``_`` that Terraform names get in front of a leading digit."""
    return name[1:] if name.startswith("_") and name[1:2].isdigit() else name
