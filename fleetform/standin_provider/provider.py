"""The provider itself: what it serves, and its configuration (``provider.go``).

``host``, ``username``, ``password``, ``auth_method`` and ``timeout`` fall back to ``HC_HOST``,
``HC_USERNAME``, ``HC_PASSWORD``, ``HC_AUTH_METHOD`` and ``HC_TIMEOUT`` (a non-empty attribute wins).
Configure logs in once (:class:`~fleetform.standin_provider.rest.RestClient`) and never logs out. The 60 s
request timeout applies only when neither ``timeout`` nor ``HC_TIMEOUT`` is set: setting either one removes
the limit altogether, because ``provider.go`` never parses the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tf.types import Unknown

from fleetform.standin_provider.base import DataSource, Resource, text
from fleetform.standin_provider.data_sources.nodes import NodesDataSource
from fleetform.standin_provider.data_sources.remote_cluster_connections import (
    RemoteClusterConnectionsDataSource,
)
from fleetform.standin_provider.data_sources.vms import VmsDataSource
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.resources.disk import DiskResource
from fleetform.standin_provider.resources.iso import IsoResource
from fleetform.standin_provider.resources.nic import NicResource
from fleetform.standin_provider.resources.virtual_disk import VirtualDiskResource
from fleetform.standin_provider.resources.vm import VmResource
from fleetform.standin_provider.resources.vm_boot_order import VmBootOrderResource
from fleetform.standin_provider.resources.vm_power_state import VmPowerStateResource
from fleetform.standin_provider.resources.vm_replication import VmReplicationResource
from fleetform.standin_provider.resources.vm_snapshot import VmSnapshotResource
from fleetform.standin_provider.resources.vm_snapshot_schedule import VmSnapshotScheduleResource
from fleetform.standin_provider.rest import Polling
from fleetform.standin_provider.schema import ProviderSchema, load_schema

if TYPE_CHECKING:
    from fleetform.standin_provider.rest import RestClient

RESOURCES: dict[str, type[Resource]] = {
    cls.type_name: cls
    for cls in (
        VmResource,
        NicResource,
        DiskResource,
        VirtualDiskResource,
        IsoResource,
        VmPowerStateResource,
        VmBootOrderResource,
        VmSnapshotResource,
        VmSnapshotScheduleResource,
        VmReplicationResource,
    )
}
DATA_SOURCES: dict[str, type[DataSource]] = {
    cls.type_name: cls for cls in (VmsDataSource, NodesDataSource, RemoteClusterConnectionsDataSource)
}

DEFAULT_TIMEOUT = 60.0
POLL_INTERVAL_ENV = "HC_POLL_INTERVAL"
MISSING = {
    "host": ("HC_HOST", "Missing Host URI Configuration", "host URI", "host"),
    "username": ("HC_USERNAME", "Missing Username Configuration", "Username", "username"),
    "password": ("HC_PASSWORD", "Missing Password Configuration", "Password", "password"),
}


class StandinProvider:
    """The served schema, the resource implementations and, once configured, the cluster session."""

    def __init__(self, schema: ProviderSchema | None = None, environ: Mapping[str, str] | None = None):
        self.schema = schema or load_schema()
        self.environ = os.environ if environ is None else environ
        self.client: RestClient | None = None  # set by configure()
        self.polling = Polling(interval=_poll_interval(self.environ))
        missing = (set(self.schema.resources) - set(RESOURCES)) | (
            set(self.schema.data_sources) - set(DATA_SOURCES)
        )
        if missing:
            raise ValueError(f"the provider schema has types the stand-in does not know: {sorted(missing)}")

    def configure(self, config: Mapping[str, Any]) -> list[Failure]:
        """Read the settings and log in; the errors the real provider reports, all at once."""
        env = self.environ
        settings = {
            name: text(config.get(name)) or env.get(variable, "") for name, (variable, *_) in MISSING.items()
        }
        auth_method = text(config.get("auth_method")) or env.get("HC_AUTH_METHOD", "") or "local"
        timeout = config.get("timeout")
        timeout_set = (timeout is not None and timeout is not Unknown) or bool(env.get("HC_TIMEOUT", ""))
        failures = [
            Failure(
                summary,
                f"While configuring the provider, the {what} was not found in the {variable} environment "
                f"variable or provider configuration block {attribute} attribute.",
            )
            for name, (variable, summary, what, attribute) in MISSING.items()
            if not settings[name]
        ]
        if failures:
            return failures
        from fleetform.standin_provider.rest import RestClient  # requests loads only when configured

        client = RestClient(
            settings["host"],
            settings["username"],
            settings["password"],
            auth_method,
            timeout=None if timeout_set else DEFAULT_TIMEOUT,
            polling=self.polling,
        )
        try:
            client.login()
        except Failure as failure:
            return [failure]
        self.client = client
        return []


def _poll_interval(environ: Mapping[str, str]) -> float:
    raw = environ.get(POLL_INTERVAL_ENV, "")
    try:
        return max(0.001, float(raw)) if raw else Polling().interval
    except ValueError:
        return Polling().interval
