"""A validated manifest plus the site configuration -> the constructs' props.

This is where manifest names meet cluster facts: network names become VLAN ids, machine types become template
VM names, asset URLs go through the image mirror, and every problem points at the manifest line it comes from.
"""

from __future__ import annotations

from pathlib import Path

from fleetform import images
from fleetform.config import SiteConfig
from fleetform.constructs.props import (
    ApplicationProps,
    CloudInit,
    DiskImageProps,
    DiskProps,
    NicProps,
    VirtualMachineProps,
)
from fleetform.errors import Issue
from fleetform.manifest.loader import LoadedManifest


def application_props(lm: LoadedManifest, site: SiteConfig) -> tuple[ApplicationProps, list[Issue]]:
    """The Application props for one manifest, and warnings about what fleetform had to decide for it."""
    app = lm.application
    name = app.metadata.name
    warnings: list[Issue] = []

    image_props = []
    for index, asset in enumerate(app.spec.assets):
        location = site.resolve_image(asset.url)
        virtual_size = None
        path = images.local_path(location)
        if path is not None:
            if path.is_file():
                virtual_size = images.probe(path).virtual_size
            else:
                warnings.append(
                    Issue(
                        lm.doc.locate(("spec", "assets", index, "url")),
                        f"asset '{asset.name}' is mirrored to {path}, which does not exist (yet); "
                        "the upload will fail unless it is there when Terraform applies",
                        "create the file or fix the mirror entry under images: in fleetform.yaml",
                        severity="warning",
                    )
                )
        image_props.append(
            DiskImageProps(
                name=asset.name,
                source_url=images.source_url(location),
                format=asset.format,
                virtual_size=virtual_size,
                file_name=images.upload_name(name, asset.name, asset.url, asset.format),
            )
        )

    vm_props = []
    for index, resource in enumerate(app.spec.resources):
        spec = resource.spec
        at = ("spec", "resources", index)
        disks = [
            DiskProps(
                name=device.name,
                type=device.type,
                image=device.source,
                capacity_bytes=device.capacity,
                boot=device.boot,
                source=lm.doc.locate((*at, "spec", "storage_devices", d)),
            )
            for d, device in enumerate(spec.storage_devices)
        ]
        nics = [
            NicProps(network=device.name, vlan=site.networks[device.name], type=device.type)
            for device in spec.network_devices
        ]
        init = spec.cloud_init_data
        vm_props.append(
            VirtualMachineProps(
                name=resource.name,
                cpu=spec.cpu,
                memory_bytes=spec.memory,
                machine_type=spec.machine_type,
                description=spec.description,
                tags=tuple(spec.tags),
                power_state=spec.state,
                disks=tuple(disks),
                nics=tuple(nics),
                cloud_init=CloudInit(user_data=init.user_data, meta_data=init.meta_data) if init else None,
                source=lm.doc.locate((*at, "name")),
            )
        )
    props = ApplicationProps(
        name=name,
        images=tuple(image_props),
        vms=tuple(vm_props),
        templates={str(k): v for k, v in site.templates.items()},
    )
    return props, warnings


def state_file(site: SiteConfig, stack: str) -> Path:
    """Where the local backend keeps a stack's state."""
    return site.state_dir / f"{stack}.tfstate"
