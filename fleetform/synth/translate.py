"""A validated manifest plus the site configuration -> the constructs' props.

This is where manifest names meet cluster facts: network names become VLAN ids, machine types become template
VM names, asset URLs go through the image mirror, and every problem points at the manifest line it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from fleetform.addresses import logical_id
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
from fleetform.errors import Issue
from fleetform.manifest.loader import LoadedManifest
from fleetform.site.config import SiteConfig
from fleetform.synth import image_sources as images


def application_props(
    lm: LoadedManifest,
    site: SiteConfig,
    *,
    allow_data_loss: bool = False,
    imports: Mapping[str, str] | None = None,
) -> tuple[ApplicationProps, list[Issue]]:
    """The Application props for one manifest on one site (a cluster's view of it), and warnings about what
    fleetform had to decide for it. ``allow_data_loss`` lifts the protection of every data disk. ``imports``
    (Terraform address -> import ID, from ``fleetform import``) marks the VMs and disks that already exist
    on the cluster as adopted."""
    imports = imports or {}
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
                adopted=f"hypercore_disk.{logical_id(resource.name, device.name)}" in imports,
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
                start_after=tuple(lm.startup.get(resource.name, ())),
                snapshot_schedule=app.snapshot_schedule_of(resource),
                protect_data=not (allow_data_loss or resource.settings.allow_data_loss),
                adopted=f"hypercore_vm.{logical_id(resource.name)}" in imports,
                source=lm.doc.locate((*at, "name")),
            )
        )
    props = ApplicationProps(
        name=name,
        images=tuple(image_props),
        vms=tuple(vm_props),
        templates={str(k): v for k, v in site.templates.items()},
        snapshot_schedules=snapshot_schedules(lm),
    )
    return props, warnings


def snapshot_schedules(lm: LoadedManifest) -> tuple[SnapshotScheduleProps, ...]:
    """The application's snapshot schedules (``x-fleetform.snapshot_schedules``), each named
    ``<application>-<schedule>`` on the cluster, as schedule names must be unique there."""
    app = lm.application
    return tuple(
        SnapshotScheduleProps(
            name=schedule.name,
            cluster_name=f"{app.metadata.name}-{schedule.name}",
            rules=tuple(
                SnapshotRuleProps(
                    name=rule.name,
                    start=rule.start,
                    frequency=rule.frequency,
                    local_retention_seconds=rule.local_retention,
                    remote_retention_seconds=rule.remote_retention,
                )
                for rule in schedule.rules
            ),
        )
        for schedule in app.settings.snapshot_schedules
    )


def state_file(site: SiteConfig, stack: str) -> Path:
    """Where the local backend keeps a stack's state."""
    return site.state_dir / f"{stack}.tfstate"


def pg_schema(site: SiteConfig, stack: str) -> str:
    """The PostgreSQL schema that holds a stack's state (pg backend)."""
    return site.state.schema_prefix + re.sub(r"[^a-z0-9_]", "_", stack.lower())


def credential_variables(cluster: str) -> tuple[str, str]:
    """The Terraform variables that carry a cluster's username and password (``TF_VAR_<name>``)."""
    suffix = re.sub(r"[^a-z0-9]", "_", cluster.lower())
    return f"hc_username_{suffix}", f"hc_password_{suffix}"
