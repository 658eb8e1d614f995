"""The DiskImage construct: one uploaded image shared by the disks that use it."""

from __future__ import annotations

from constructs import Construct

from fleetform.constructs._plan import plan_image
from fleetform.constructs.props import DiskImageProps
from fleetform.providers.hypercore.iso import Iso
from fleetform.providers.hypercore.virtual_disk import VirtualDisk


class DiskImage(Construct):
    """An image uploaded once per stack: a ``hypercore_virtual_disk``, or a ``hypercore_iso`` for ISO images.

    The provider uploads it from the machine that runs Terraform (a ``file:///`` URL works for mirrors).
    Changing ``source_url`` later does nothing on the cluster; the provider never replaces an image. The
    Terraform address is the construct id (``hypercore_virtual_disk.<id>``; an ``Application`` uses the image's
    name). Created directly, pass it to a ``VirtualMachine`` in ``images={props.name: image}``.
    """

    def __init__(self, scope: Construct, id: str, *, props: DiskImageProps) -> None:
        super().__init__(scope, id)
        self.props = props
        plan = plan_image(id, props)
        self.resource: VirtualDisk | Iso
        if plan.type == "hypercore_iso":
            self.resource = Iso(self, "Resource", **plan.attributes)
        else:
            self.resource = VirtualDisk(self, "Resource", **plan.attributes)
        self.resource.override_logical_id(plan.logical_id)

    @property
    def is_iso(self) -> bool:
        """True when this image is inserted into CD-ROM drives rather than copied into disks."""
        return self.props.format == "iso"

    @property
    def uuid(self) -> str:
        """Reference to the image's UUID on the cluster."""
        return self.resource.id
