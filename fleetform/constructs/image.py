"""The DiskImage construct: one uploaded image shared by the disks that use it."""

from __future__ import annotations

from constructs import Construct

from fleetform.constructs._element import Ref, Resource, ResourceGroup
from fleetform.constructs._plan import plan_image
from fleetform.constructs.props import DiskImageProps
from fleetform.providers.hypercore.iso import Iso
from fleetform.providers.hypercore.virtual_disk import VirtualDisk


class DiskImage(ResourceGroup):
    """An image uploaded once per stack: a ``hypercore_virtual_disk``, or a ``hypercore_iso`` for ISO images.

    The provider uploads it from the machine that runs Terraform (a ``file:///`` URL works for mirrors).
    Changing ``source_url`` later does nothing on the cluster; the provider never replaces an image. The
    Terraform address is the construct id (``hypercore_virtual_disk.<id>``; an ``Application`` uses the image's
    name). Created directly, pass it to a ``VirtualMachine`` in ``images={props.name: image}``. ``resource`` is
    the underlying resource as a typed binding (see ``VirtualMachine`` for how reaching for it works).
    """

    def __init__(self, scope: Construct, id: str, *, props: DiskImageProps) -> None:
        super().__init__(scope, id)
        self.props = props
        plan = plan_image(id, props)
        binding = Iso if plan.type == "hypercore_iso" else VirtualDisk
        self._resources_are([Resource("image", binding, "Resource", plan.logical_id, dict(plan.attributes))])

    @property
    def resource(self) -> VirtualDisk | Iso:
        """The ``hypercore_virtual_disk`` (or ``hypercore_iso``), as a typed binding."""
        resource: VirtualDisk | Iso = self._binding("image")
        return resource

    @property
    def is_iso(self) -> bool:
        """True when this image is inserted into CD-ROM drives rather than copied into disks."""
        return self.props.format == "iso"

    @property
    def uuid(self) -> str:
        """Reference to the image's UUID on the cluster (``resource.id``)."""
        return self.resource.id

    @property
    def _ref(self) -> Ref:
        return Ref(self, "image", "id")
