"""fleetform constructs: ``Application``, ``VirtualMachine``, ``DiskImage`` and ``SnapshotSchedule`` over the typed
hypercore bindings.

Usable from any cdktf Python app, with or without manifests: put a ``HypercoreProvider``
(``fleetform.providers.hypercore.provider``) in the stack, then build the constructs from their props (frozen dataclasses
in :mod:`fleetform.constructs.props`; every optional field documents its default)::

    app = Application(stack, "web", props=ApplicationProps(name="web", images=[...], vms=[...]))
    vm = VirtualMachine(stack, "jumphost", props=VirtualMachineProps(name="jumphost", cpu=1, ...))

Sizes are bytes (memory a whole MiB). ``examples/library_app/main.py`` is a complete app. ``fleetform synth``
and ``cdktf synth`` of manifests build these same constructs. fleetform writes a construct's resources itself
(one cdktf element per stack) until one of them is reached for (``vm.resource``, ``vm.disks``,
``image.resource``, ...): then they become the typed bindings of :mod:`fleetform.providers.hypercore`, where
``add_override`` and every other cdktf escape hatch apply.

The constructs are imported on first use, so that the props (and fleetform's code that only builds props)
never start cdktf's jsii kernel.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fleetform.constructs.props import (
    ApplicationProps,
    CloudInit,
    DiskImageProps,
    DiskProps,
    NicProps,
    SnapshotRuleProps,
    SnapshotScheduleProps,
    VirtualMachineProps,
)

if TYPE_CHECKING:
    from fleetform.constructs.application import Application
    from fleetform.constructs.image import DiskImage
    from fleetform.constructs.schedule import SnapshotSchedule
    from fleetform.constructs.vm import VirtualMachine

_CONSTRUCTS = {
    "Application": "fleetform.constructs.application",
    "DiskImage": "fleetform.constructs.image",
    "SnapshotSchedule": "fleetform.constructs.schedule",
    "VirtualMachine": "fleetform.constructs.vm",
}

__all__ = [
    "Application",
    "ApplicationProps",
    "CloudInit",
    "DiskImage",
    "DiskImageProps",
    "DiskProps",
    "NicProps",
    "SnapshotRuleProps",
    "SnapshotSchedule",
    "SnapshotScheduleProps",
    "VirtualMachine",
    "VirtualMachineProps",
]


def __getattr__(name: str) -> Any:
    module = _CONSTRUCTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
