"""fleetform constructs: ``Application``, ``VirtualMachine`` and ``DiskImage`` over the typed hypercore bindings.

Usable from any cdktf Python app, with or without manifests: put a ``HypercoreProvider``
(``providers.hypercore.provider``) in the stack, then build the constructs from their props (frozen dataclasses
in :mod:`fleetform.constructs.props`; every optional field documents its default)::

    app = Application(stack, "web", props=ApplicationProps(name="web", images=[...], vms=[...]))
    vm = VirtualMachine(stack, "jumphost", props=VirtualMachineProps(name="jumphost", cpu=1, ...))

Sizes are bytes (memory a whole MiB). ``examples/library_app/main.py`` is a complete app.
"""

from fleetform.constructs.application import Application
from fleetform.constructs.image import DiskImage
from fleetform.constructs.props import (
    ApplicationProps,
    CloudInit,
    DiskImageProps,
    DiskProps,
    NicProps,
    VirtualMachineProps,
)
from fleetform.constructs.vm import VirtualMachine

__all__ = [
    "Application",
    "ApplicationProps",
    "CloudInit",
    "DiskImage",
    "DiskImageProps",
    "DiskProps",
    "NicProps",
    "VirtualMachine",
    "VirtualMachineProps",
]
