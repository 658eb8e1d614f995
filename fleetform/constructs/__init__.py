"""fleetform constructs: ``Application``, ``VirtualMachine`` and ``DiskImage`` over the typed hypercore bindings.

Usable from any cdktf Python app, with or without manifests::

    app = Application(stack, "web", props=ApplicationProps(name="web", images=[...], vms=[...]))
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
