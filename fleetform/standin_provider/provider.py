"""The provider itself: what it serves, and its configuration (``provider.go``).

``host``, ``username``, ``password``, ``auth_method`` and ``timeout`` fall back to ``HC_HOST``,
``HC_USERNAME``, ``HC_PASSWORD``, ``HC_AUTH_METHOD`` and ``HC_TIMEOUT`` (a non-empty attribute wins).
Configure logs in once (:class:`~fleetform.standin_provider.rest.RestClient`) and never logs out. The 60 s
request timeout applies only when neither ``timeout`` nor ``HC_TIMEOUT`` is set: setting either one removes
the limit altogether, because ``provider.go`` never parses the value.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from tf.types import Unknown

from fleetform.standin_provider.base import DataSource, Resource, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.schema import ProviderSchema, load_schema

if TYPE_CHECKING:
    from fleetform.standin_provider.rest import RestClient

# Type name -> "module:class" under this package. Loaded on first use: a start for schemas alone (validate,
# show -json) needs none of them, a plan only the types it has.
RESOURCES: dict[str, str] = {
    "hypercore_vm": "resources.vm:VmResource",
    "hypercore_nic": "resources.nic:NicResource",
    "hypercore_disk": "resources.disk:DiskResource",
    "hypercore_virtual_disk": "resources.virtual_disk:VirtualDiskResource",
    "hypercore_iso": "resources.iso:IsoResource",
    "hypercore_vm_power_state": "resources.vm_power_state:VmPowerStateResource",
    "hypercore_vm_boot_order": "resources.vm_boot_order:VmBootOrderResource",
    "hypercore_vm_snapshot": "resources.vm_snapshot:VmSnapshotResource",
    "hypercore_vm_snapshot_schedule": "resources.vm_snapshot_schedule:VmSnapshotScheduleResource",
    "hypercore_vm_replication": "resources.vm_replication:VmReplicationResource",
}
DATA_SOURCES: dict[str, str] = {
    "hypercore_vms": "data_sources.vms:VmsDataSource",
    "hypercore_nodes": "data_sources.nodes:NodesDataSource",
    "hypercore_remote_cluster_connections": "data_sources.remote_cluster_connections:RemoteClusterConnectionsDataSource",
}


def resource_class(type_name: str) -> type[Resource]:
    """The implementation of a resource type."""
    found: type[Resource] = _load(RESOURCES[type_name])
    return found


def data_source_class(type_name: str) -> type[DataSource]:
    """The implementation of a data source type."""
    found: type[DataSource] = _load(DATA_SOURCES[type_name])
    return found


@cache
def _load(where: str) -> Any:
    module, name = where.split(":")
    return getattr(importlib.import_module(f"fleetform.standin_provider.{module}"), name)


DEFAULT_TIMEOUT = 60.0
DEFAULT_POLL_INTERVAL = 0.05
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
        self.poll_interval = _poll_interval(self.environ)
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
        from fleetform.standin_provider.rest import Polling, RestClient  # requests loads only when configured

        client = RestClient(
            settings["host"],
            settings["username"],
            settings["password"],
            auth_method,
            timeout=None if timeout_set else DEFAULT_TIMEOUT,
            polling=Polling(interval=self.poll_interval),
        )
        try:
            client.login()
        except Failure as failure:
            return [failure]
        self.client = client
        return []


def _poll_interval(environ: Mapping[str, str]) -> float:
    """``HC_POLL_INTERVAL``: how soon the stand-in polls a task again at first (see ``rest.Polling``)."""
    raw = environ.get(POLL_INTERVAL_ENV, "")
    try:
        return max(0.001, float(raw)) if raw else DEFAULT_POLL_INTERVAL
    except ValueError:
        return DEFAULT_POLL_INTERVAL
