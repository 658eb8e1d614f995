"""The wire contract: what the stand-in sends, driven by real Terraform, equals the real provider's requests.

The expected requests are the golden traces in ``golden/`` (written from the Go source of v1.4.0; format in
``golden/README.md``); what is sent is the simulator's request recorder. One test per golden file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.wire import Bindings, compare
from support.workspace import Workspace

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import RunningSimulator, run_in_thread

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).parent / "golden"
TEMPLATE = "wire-template"


def golden_files() -> list[Path]:
    return sorted(path for path in GOLDEN.glob("*.json") if path.name != "provider.json")


def prepare(sim: RunningSimulator, needs: list[str], root: Path, files: dict[str, int]) -> Bindings:
    """Make the cluster objects a golden file needs, through fleetform's own client; their variables."""
    values: dict[str, Any] = {"username": sim.username, "root": str(root).lstrip("/")}
    for name, size in files.items():
        (root / name).write_bytes(bytes(index % 251 for index in range(size)))
    with HypercoreClient(sim.url, sim.username, sim.password) as client:
        if "template" in needs:
            [template] = client.find_vms(TEMPLATE)
            values["template"] = template.uuid
        if "template_nic" in needs:
            nic = client.post(
                "/rest/v1/VirDomainNetDevice",
                {
                    "virDomainUUID": values["template"],
                    "type": "VIRTIO",
                    "vlan": 10,
                    "macAddress": "7C:4C:58:00:00:01",
                },
            )
            client.wait_task(nic, poll_interval=0.01)
        if "vm" in needs or "vm_devices" in needs:
            body = {
                "dom": {"name": "wire-target", "cloudInitData": {"userData": "", "metaData": ""}},
                "options": {},
            }
            task = client.post("/rest/v1/VirDomain", body)
            client.wait_task(task, poll_interval=0.01)
            values.update(vm=task.created_uuid, vm_name="wire-target")
        if "vm_devices" in needs:
            disk = client.post(
                "/rest/v1/VirDomainBlockDevice",
                {"virDomainUUID": values["vm"], "type": "VIRTIO_DISK", "capacity": 1000000000},
            )
            client.wait_task(disk, poll_interval=0.01)
            nic = client.post(
                "/rest/v1/VirDomainNetDevice", {"virDomainUUID": values["vm"], "type": "VIRTIO", "vlan": 0}
            )
            client.wait_task(nic, poll_interval=0.01)
            values.update(disk0=disk.created_uuid, nic0=nic.created_uuid)
        if "virtual_disk" in needs:
            data = bytes(1048576)
            upload = client.upload("/rest/v1/VirtualDisk/upload", data, "wire-base.img")
            client.wait_task(upload, poll_interval=0.01)
            values.update(vd=upload.created_uuid, vd_bytes=len(data))
        if "iso" in needs:
            created = client.post(
                "/rest/v1/ISO", {"name": "wire-tools.iso", "size": 2048, "readyForInsert": False}
            )
            client.wait_task(created, poll_interval=0.01)
            client.upload(f"/rest/v1/ISO/{created.created_uuid}/data", bytes(2048))
            client.wait_task(
                client.patch(f"/rest/v1/ISO/{created.created_uuid}", {"readyForInsert": True}),
                poll_interval=0.01,
            )
            [iso] = client.get(f"/rest/v1/ISO/{created.created_uuid}")
            values.update(iso=created.created_uuid, iso_path=iso["path"])
    if "connection" in needs:
        values["connection"] = sim.admin.add_remote_cluster("dr-site")["uuid"]
    return Bindings(values)


def run_operation(box: Workspace, spec: dict[str, Any], operation: dict[str, Any], bindings: Bindings) -> str:
    """Run one golden operation with Terraform; what went differently (``""`` if nothing did)."""
    kind = operation["terraform"]
    address = f"{spec['resource']}.test" if "resource" in spec else ""
    if "config" in operation:
        box.write(**bindings.substitute(operation["config"]))
    import_id = ""
    if kind == "import":
        state = box.values(address)
        import_id = operation["import_id"].format(**state)
        box.terraform("state", "rm", address)
    box.simulator.admin.clear_requests()
    args = {
        "apply": ("apply", "-auto-approve", "-refresh=false", "-input=false", "-no-color", "-parallelism=1"),
        "destroy": (
            "destroy",
            "-auto-approve",
            "-refresh=false",
            "-input=false",
            "-no-color",
            "-parallelism=1",
        ),
        "refresh": ("plan", "-refresh-only", "-input=false", "-no-color"),
        "plan": ("plan", "-input=false", "-no-color"),
        "import": ("import", "-input=false", "-no-color", address, import_id),
    }[kind]
    result = box.terraform(*args, check=False)
    output = " ".join((result.stdout + result.stderr).split())
    expected_error = operation.get("expect_error")
    if expected_error is None and result.returncode != 0:
        return f"terraform {kind} failed:\n{result.stdout}\n{result.stderr}"
    if expected_error is not None and (result.returncode == 0 or expected_error not in output):
        return f"terraform {kind} should fail with {expected_error!r}:\n{result.stdout}\n{result.stderr}"
    sent = box.simulator.admin.requests(include_reads=True)
    problem = check_logins(sent, bindings)
    if problem:
        return problem
    operation_requests = [request for request in sent if request["path"] != "/rest/v1/login"]
    return compare(bindings, operation["requests"], operation_requests) or ""


def check_logins(sent: list[dict[str, Any]], bindings: Bindings) -> str:
    """Every command starts with Configure's logins (one per provider process) and logs in nowhere else."""
    login = json.loads((GOLDEN / "provider.json").read_text())["login"]
    leading = 0
    while leading < len(sent) and sent[leading]["path"] == login["path"]:
        problem = bindings.match_request(login, sent[leading])
        if problem:
            return f"Configure: {problem}"
        leading += 1
    if leading == 0:
        return "no login before the first request"
    if any(request["path"] == login["path"] for request in sent[leading:]):
        return "a login in the middle of an operation"
    return ""


@pytest.mark.parametrize("golden", golden_files(), ids=lambda path: path.stem)
def test_the_stand_in_sends_what_the_go_provider_sends(
    golden: Path, tmp_path: Path, cli_config: Path
) -> None:
    spec = json.loads(golden.read_text())
    with run_in_thread(templates={"bios": TEMPLATE}) as sim:
        box = Workspace(tmp_path / "tf", sim, cli_config)
        bindings = prepare(sim, spec.get("needs", []), box.root, spec.get("files", {}))
        for operation in spec["operations"]:
            problem = run_operation(box, spec, operation, bindings)
            assert not problem, f"{golden.name}, {operation['name']}: {problem}"
