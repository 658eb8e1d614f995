"""RenderedApplication: an Application handed to cdktf as one element, for stacks with many VMs."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from fleetform._cdktf import TerraformElement
from fleetform.constructs.props import ApplicationProps
from fleetform.constructs.render import Rendered, render_application
from fleetform.errors import Issue


class RenderedApplication(TerraformElement):
    """The Terraform JSON of ``Application(scope, id, props=props)``, as a single cdktf element.

    Same resources, attributes, logical ids and ``//`` metadata (construct paths) as the ``Application``
    construct, computed in Python (:func:`fleetform.constructs.render.render_application`) and given to cdktf
    once per stack; an ``Application`` costs several jsii round trips per resource instead. What it does not
    have: child constructs (no ``vms``/``images`` to reach into, no escape hatches, no ``add_override`` per
    resource) and HCL output (``cdktf synth --hcl``); use ``Application`` for those. ``fleetform synth``
    and ``main.py`` use this one.

    ``rendered``: the output of ``render_application(props, path)`` for this element's construct path, when the
    caller rendered already (default: render here). Invalid props raise :class:`fleetform.errors.InputError`.
    """

    def __init__(
        self, scope: Construct, id: str, *, props: ApplicationProps, rendered: Rendered | None = None
    ) -> None:
        super().__init__(scope, id)
        self.props = props
        self._rendered = rendered if rendered is not None else render_application(props, self.node.path)

    @property
    def warnings(self) -> list[Issue]:
        """Disk sizes that had to be rounded (as ``Application.warnings``)."""
        return self._rendered.warnings

    @property
    def resources(self) -> list[str]:
        """``type.name`` of every resource this element writes."""
        return self._rendered.resources

    def to_terraform(self) -> Any:
        return self._rendered.fragment

    def to_hcl_terraform(self) -> Any:
        raise NotImplementedError(
            "RenderedApplication writes JSON only; use Application for cdktf synth --hcl"
        )
