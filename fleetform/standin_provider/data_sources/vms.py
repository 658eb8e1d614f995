"""Data source ``hypercore_vms`` (``hypercore_vms_data_source.go``): VMs, optionally one by exact name.

Without a name and without VMs on the cluster the Go code panics (it logs ``state.Vms[0]``).
"""

from __future__ import annotations

from typing import ClassVar

from fleetform.standin_provider.base import API, DataSource, State, text
from fleetform.standin_provider.diagnostics import Failure, crash
from fleetform.standin_provider.virdomain import vm_details


class VmsDataSource(DataSource):
    type_name: ClassVar[str] = "hypercore_vms"

    def read(self, config: State) -> State:
        name = text(config.get("name"))
        vms = self.rest.list_records(f"{API}/VirDomain", {"name": name} if name else {})
        if name and not vms:
            raise Failure("VM not found", f"No VM with name {name} found.")
        if name and len(vms) > 1:
            raise Failure("Multiple VMs found", f"Multiple VMs with name {name} found.")
        details = [vm_details(vm) for vm in vms]
        if not details:
            raise crash("runtime error: index out of range [0] with length 0")
        return {"name": name, "vms": details}
