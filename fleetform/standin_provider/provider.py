"""The provider itself: what it serves, and its configuration (``provider.go``).

``host``, ``username``, ``password``, ``auth_method`` and ``timeout`` fall back to ``HC_HOST``,
``HC_USERNAME``, ``HC_PASSWORD``, ``HC_AUTH_METHOD`` and ``HC_TIMEOUT`` (a non-empty attribute wins).
Configure logs in once and never logs out. As in the real provider, TLS is never verified, requests are never
retried, and the 60 s request timeout applies only when neither ``timeout`` nor ``HC_TIMEOUT`` is set: setting
either one removes the limit altogether.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fleetform.errors import ApiError
from fleetform.standin_provider.api import Api, Polling
from fleetform.standin_provider.base import DataSource, Resource, text
from fleetform.standin_provider.data_sources.nodes import NodesDataSource
from fleetform.standin_provider.data_sources.vms import VmsDataSource
from fleetform.standin_provider.diagnostics import Call, Failure, crash
from fleetform.standin_provider.resources.disk import DiskResource
from fleetform.standin_provider.resources.iso import IsoResource
from fleetform.standin_provider.resources.nic import NicResource
from fleetform.standin_provider.resources.unsupported import (
    RemoteClusterConnectionsDataSource,
    VmReplicationResource,
    VmSnapshotResource,
    VmSnapshotScheduleResource,
)
from fleetform.standin_provider.resources.virtual_disk import VirtualDiskResource
from fleetform.standin_provider.resources.vm import VmResource
from fleetform.standin_provider.resources.vm_boot_order import VmBootOrderResource
from fleetform.standin_provider.resources.vm_power_state import VmPowerStateResource
from fleetform.standin_provider.schema import ProviderSchema, load_schema

if TYPE_CHECKING:
    from fleetform.hypercore import HypercoreClient

RESOURCES: dict[str, type[Resource]] = {
    cls.type_name: cls
    for cls in (
        VmResource,
        DiskResource,
        NicResource,
        VirtualDiskResource,
        IsoResource,
        VmBootOrderResource,
        VmPowerStateResource,
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
        self.client: HypercoreClient | None = None  # set by configure()
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
        timeout_set = config.get("timeout") is not None or bool(env.get("HC_TIMEOUT", ""))
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
        host = settings["host"]
        if not host.startswith(("http://", "https://")):
            return [
                crash(
                    f'couldn\'t authenticate: Post "{host}/rest/v1/login": unsupported protocol scheme "" '
                    "(fleetform stand-in: `host` needs http:// or https://)"
                )
            ]
        # Imported here: Terraform starts the provider for schemas alone (validate, show -json), which need no client.
        from fleetform.hypercore import HypercoreClient

        client = HypercoreClient(
            host,
            settings["username"],
            settings["password"],
            verify_tls=False,
            timeout=None if timeout_set else DEFAULT_TIMEOUT,
            retries=0,
            session_login=True,
            auth_method=auth_method,
        )
        try:
            client.login()
        except ApiError as exc:
            return [crash(f"couldn't authenticate: {exc}")]
        self.client = client
        return []

    def api(self, call: Call) -> Api | None:
        """The REST calls for one plugin call (``None`` before the provider is configured)."""
        return None if self.client is None else Api(self.client, self.polling, call)


def _poll_interval(environ: Mapping[str, str]) -> float:
    raw = environ.get(POLL_INTERVAL_ENV, "")
    try:
        return max(0.001, float(raw)) if raw else Polling().interval
    except ValueError:
        return Polling().interval
