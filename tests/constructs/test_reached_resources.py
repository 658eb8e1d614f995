"""A construct writes byte for byte the same stack whether it writes its resources itself (one cdktf element) or
someone reached for them (typed bindings, one cdktf resource each): one emitter, two ways of handing it to cdktf.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetform._cdktf import TerraformStack
from fleetform._cdktf import Testing as CdkTesting
from fleetform.constructs import (
    Application,
    ApplicationProps,
    CloudInit,
    DiskImageProps,
    DiskProps,
    NicProps,
    VirtualMachineProps,
)
from fleetform.errors import InputError
from fleetform.importer.record import ImportRecord, imports_path
from fleetform.providers.hypercore.provider import HypercoreProvider
from fleetform.synth.app import ApplicationStack, build_app
from fleetform.synth.inputs import load_inputs

ROOT = Path(__file__).resolve().parents[2]
GiB = 1024**3

# Everything a construct has to get right in one application: ISO and qcow2 images (mirrored, so disks take
# their size), a missing mirror file, CD-ROMs, data disks, rounded sizes, two NICs on one network, secrets,
# startup order, replicas, names that are not valid Terraform names, text Terraform would read as templates,
# snapshot schedules (an application default, a VM's own, a VM without).
ODD = """\
type: Application
version: "1.0.0"
metadata:
  name: odd
x-fleetform:
  snapshot_schedule: nightly
  snapshot_schedules:
    - name: nightly
      rules:
        - {name: n, start: "2025-01-01 02:00:00", frequency: "FREQ=DAILY;INTERVAL=1", local_retention: 7d}
    - name: "4h.${x}"
      rules:
        - {name: a, start: 2025-01-01 00:00:00, frequency: "FREQ=HOURLY;INTERVAL=4", local_retention: 1d}
        - {name: b, start: "2025-01-05 03:30:00", frequency: "FREQ=WEEKLY;BYDAY=SU", local_retention: 4w,
           remote_retention: 12w}
spec:
  assets:
    - {name: q, type: virtual_disk, format: qcow2, url: "https://x.example.com/q.qcow2"}
    - {name: cd, type: virtual_disk, format: iso, url: "https://x.example.com/cd.iso"}
    - {name: missing, type: virtual_disk, format: raw, url: "https://x.example.com/missing.img"}
  resources:
    - type: virdomain
      name: "9lives.web"
      x-fleetform: {depends_on: [db], allow_data_loss: true}
      spec:
        description: "has ${HOME} and %{ if } in it"
        cpu: 2
        memory: 2GiB
        machine_type: uefi
        state: running
        tags: ["a:b", "c"]
        storage_devices:
          - {name: sys, type: virtio_disk, source: q, boot: 1}
          - {name: data, type: virtio_disk, capacity: 10GiB}
          - {name: cd0, type: ide_cdrom, source: cd, boot: 2}
          - {name: cd1, type: ide_cdrom}
        network_devices:
          - {name: web-net, type: virtio}
          - {name: web-net, type: virtio}
          - {name: app-net, type: virtio}
        cloud_init_data:
          user_data: |
            #cloud-config
            password: {{ secret("root_pw") }}
            echo ${HOME} $${X} %{y} \u00fcn\u00efc\u00f6d\u00e9 \\ "quotes"
          meta_data: |
            instance-id: {{ secret("meta_id") }}
    - type: virdomain
      name: db
      x-fleetform: {snapshot_schedule: "4h.${x}"}
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: bios
        state: shutoff
        storage_devices:
          - {name: data/1, type: virtio_disk, capacity: 1000000001}
    - type: virdomain
      name: "app-{{ instance_id }}"
      x-fleetform: {replicas: 3, depends_on: ["9lives.web", db], snapshot_schedule: false}
      spec:
        cpu: 1
        memory: 512MiB
        machine_type: tpm
        state: running
        network_devices: [{name: app-net, type: virtio}]
"""

LEGACY = """\
type: Application
version: "1.0.0"
metadata:
  name: legacy
x-fleetform:
  snapshot_schedules:
    - name: nightly
      rules: [{name: n, start: "2025-01-01 02:00:00", frequency: "FREQ=DAILY", local_retention: 7d}]
spec:
  resources:
    - type: virdomain
      name: web-01
      x-fleetform: {snapshot_schedule: nightly}
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: uefi
        state: running
        storage_devices:
          - {name: disk-0, type: virtio_disk, capacity: 53687091200, boot: 1}
          - {name: disk-1, type: virtio_disk, capacity: 1073741824}
          - {name: cdrom-0, type: ide_cdrom}
        network_devices: [{name: web-net, type: virtio}]
"""
LEGACY_IMPORTS = {
    "hypercore_vm.web-01": "u1",
    "hypercore_disk.web-01__disk-0": "u1:VIRTIO_DISK:0",
    "hypercore_disk.web-01__disk-1": "u1:VIRTIO_DISK:1",
    "hypercore_disk.web-01__cdrom-0": "u1:IDE_CDROM:0",
    "hypercore_nic.web-01__web-net": "u1:VIRTIO:20",
    "hypercore_vm.gone": "u0",
}


def project(root: Path, *, clusters: bool, backend: str = "local") -> tuple[list[Path], Path]:
    """The seed manifests, the fixtures, ODD and LEGACY (with an imports file), and a site for them."""
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    for path in [
        *(ROOT / "manifests").glob("*.yaml"),
        *(ROOT / "tests/fixtures/manifests/good").glob("*.yaml"),
    ]:
        shutil.copy(path, manifests / path.name)
    (manifests / "odd.yaml").write_text(ODD)
    (manifests / "legacy.yaml").write_text(LEGACY)
    cluster = "store-1" if clusters else None
    imports_path(manifests / "legacy.yaml").write_text(
        ImportRecord(application="legacy", cluster=cluster, imports=LEGACY_IMPORTS).to_json()
    )
    (root / "images").mkdir()
    (root / "images" / "q.qcow2").write_bytes(b"QFI\xfb" + bytes(20) + struct.pack(">Q", 3 * GiB) + bytes(64))
    (root / "cd.iso").write_bytes(bytes(2048))
    site: dict[str, Any] = yaml.safe_load((ROOT / "fleetform.yaml").read_text())
    site["images"] = {
        "https://x.example.com/q.qcow2": "images/q.qcow2",
        "https://x.example.com/cd.iso": f"file://{root / 'cd.iso'}",
        "https://x.example.com/missing.img": "images/missing.img",
    }
    site["state"] = {"backend": backend}
    if clusters:
        site["clusters"] = [
            {"name": "store-1", "host": "https://10.0.0.1"},
            {"name": "lab", "host": "https://10.0.0.2", "networks": {"web-net": 99}},
        ]
    config = root / "fleetform.yaml"
    config.write_text(yaml.safe_dump(site, sort_keys=False))
    return [manifests], config


def files(outdir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(outdir)): p.read_bytes() for p in sorted(outdir.rglob("*")) if p.is_file()}


def reach_for_every_resource(app: Any, every: int = 1) -> int:
    """Reach for the resources of every ``every``-th image, schedule, template look-up and VM of every stack of
    ``app``; how many constructs were reached."""
    groups = []
    for stack in app.node.children:
        if isinstance(stack, ApplicationStack):
            application = stack.application
            groups += [*application.images.values(), *application.snapshot_schedules.values()]
            groups += [*application.templates.values(), *application.vms.values()]
    for group in groups[::every]:
        assert group.resource is not None
    return len(groups[::every])


@pytest.mark.parametrize(
    ("clusters", "backend", "allow_data_loss", "every"),
    [(False, "local", False, 1), (True, "local", False, 2), (True, "pg", True, 3)],
)
def test_stacks_are_byte_identical_whether_resources_are_written_as_one_element_or_reached_for(
    tmp_path: Path, clusters: bool, backend: str, allow_data_loss: bool, every: int
) -> None:
    paths, config = project(tmp_path, clusters=clusters, backend=backend)
    inputs = load_inputs(paths, config)
    outputs = {}
    for reach in (False, True):
        outdir = tmp_path / ("reached" if reach else "written")
        app, warnings = build_app(inputs, outdir=outdir, allow_data_loss=allow_data_loss)
        if reach:
            assert reach_for_every_resource(app, every) > 20
        app.synth()
        outputs[reach] = (files(outdir), warnings)
    fast_files, fast_warnings = outputs[False]
    slow_files, slow_warnings = outputs[True]
    assert len(fast_files) > 5
    assert fast_files == slow_files
    assert fast_warnings == slow_warnings
    assert any("cannot be expressed exactly" in w.message for w in fast_warnings)
    legacy = next(
        text
        for name, text in fast_files.items()
        if name.endswith(("/legacy/cdk.tf.json", "/legacy--store-1/cdk.tf.json"))
    )
    assert b'"import": [' in legacy and b"hypercore_vm.gone" not in legacy
    # An imported VM that the manifest gives a schedule no longer ignores snapshot_schedule_uuid.
    legacy_vm = json.loads(legacy)["resource"]["hypercore_vm"]["web-01"]
    assert legacy_vm["snapshot_schedule_uuid"] == "${hypercore_vm_snapshot_schedule.nightly.id}"
    assert "lifecycle" not in legacy_vm
    odd = json.loads(
        next(
            text
            for name, text in fast_files.items()
            if name.endswith(("/odd/cdk.tf.json", "/odd--store-1/cdk.tf.json"))
        )
    )
    schedules = odd["resource"]["hypercore_vm_snapshot_schedule"]
    assert {key: value["name"] for key, value in schedules.items()} == {
        "nightly": "odd-nightly",
        "_4h___x_": "odd-4h.$${x}",
    }
    assert [rule["remote_retention_seconds"] for rule in schedules["_4h___x_"]["rules"]] == [
        86400,
        12 * 604800,
    ]
    attached = {key: vm.get("snapshot_schedule_uuid") for key, vm in odd["resource"]["hypercore_vm"].items()}
    assert attached == {
        "_9lives_web": "${hypercore_vm_snapshot_schedule.nightly.id}",
        "db": "${hypercore_vm_snapshot_schedule._4h___x_.id}",
        "app-01": None,
        "app-02": None,
        "app-03": None,
    }


def test_invalid_props_raise_an_input_error() -> None:
    bad = ApplicationProps(
        name="bad",
        images=[DiskImageProps(name="img", source_url="https://x/img.img")],
        templates={"uefi": "t"},
        vms=[
            VirtualMachineProps(name="ok", cpu=1, memory_bytes=GiB),
            VirtualMachineProps(
                name="nosize", cpu=1, memory_bytes=GiB, disks=[DiskProps(name="d", image="img", boot=1)]
            ),
        ],
    )
    stack = TerraformStack(CdkTesting.app(), "lib")
    HypercoreProvider(stack, "hypercore")
    with pytest.raises(InputError) as raised:
        Application(stack, "app", props=bad)
    assert "has no capacity" in str(raised.value.issues[0])


def test_image_and_vm_with_the_same_name_are_refused_before_any_construct() -> None:
    clash = ApplicationProps(
        name="clash",
        images=[DiskImageProps(name="web", source_url="https://x/web.img")],
        vms=[VirtualMachineProps(name="web", cpu=1, memory_bytes=GiB)],
    )
    stack = TerraformStack(CdkTesting.app(), "lib")
    with pytest.raises(InputError, match="same construct id 'web'"):
        Application(stack, "app", props=clash)


def test_library_props_synthesize_the_same_reached_for_or_not() -> None:
    props = ApplicationProps(
        name="lib",
        images=[DiskImageProps(name="img", source_url="https://x/img.img", virtual_size=GiB)],
        templates={"bios": "tpl-bios"},
        vms=[
            VirtualMachineProps(name="empty", cpu=1, memory_bytes=GiB, machine_type="uefi"),
            VirtualMachineProps(
                name="explicit",
                cpu=2,
                memory_bytes=2 * GiB,
                template="0000-uuid",
                cloud_init=CloudInit(meta_data="id: x\n"),
                disks=[DiskProps(name="os", image="img", boot=1)],
                nics=[NicProps(network="lan", vlan=0, key="first")],
                start_after=["empty"],
            ),
            VirtualMachineProps(name="old", cpu=1, memory_bytes=GiB, machine_type="bios", adopted=True),
        ],
    )
    synthesized = []
    for reach in (False, True):
        stack = TerraformStack(CdkTesting.app(), "lib")
        HypercoreProvider(stack, "hypercore")
        application = Application(stack, "app", props=props)
        if reach:
            assert application.vms["explicit"].power_state is not None
            # What its bindings depend on becomes bindings too (the VM it starts after); what they only refer
            # to (its image) stays written by its construct.
            assert {name for name, vm in application.vms.items() if vm.reached} == {"explicit", "empty"}
            assert not application.images["img"].reached
        synthesized.append(json.loads(CdkTesting.synth(stack)))
    assert synthesized[0] == synthesized[1]
    assert "data" not in synthesized[1]
