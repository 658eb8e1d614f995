"""Data source ``hypercore_vms`` (``hypercore_vms_data_source.go``): VMs, optionally one by exact name."""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import API, DataSource, State, text
from fleetform.standin_provider.diagnostics import Failure
from fleetform.standin_provider.power import vm_details


class VmsDataSource(DataSource):
    type_name: ClassVar[str] = "hypercore_vms"

    def read(self, config: State) -> State:
        name = text(config.get("name"))
        self.call.about(f'"{name}"' if name else "")
        vms = self.api.list(f"{API}/VirDomain", **({"name": name} if name else {}))
        if name and not vms:
            raise Failure("VM not found", f"No VM with name {name} found.")
        if name and len(vms) > 1:
            raise Failure("Multiple VMs found", f"Multiple VMs with name {name} found.")
        return {"name": name, "vms": [vm_details(vm) for vm in vms] or None}
