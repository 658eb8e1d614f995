"""One HyperCore VM record -> a manifest VM and its import IDs (fleetform.importer.convert), no cluster needed."""

from __future__ import annotations

from typing import Any

import pytest

from fleetform.importer.convert import ImportedVm, NetworkMap, Skipped, convert_vm

GiB = 1024**3
UUID = "11111111-2222-3333-4444-555555555555"
NETWORKS = NetworkMap.from_networks({"web-net": 20, "app-net": 30, "public-net": 10})


def disk(
    uuid: str, slot: int, capacity: int = 10 * GiB, kind: str = "VIRTIO_DISK", **extra: Any
) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "type": kind,
        "slot": slot,
        "capacity": capacity,
        "tieringPriorityFactor": 8,
        **extra,
    }


def nic(uuid: str, vlan: int, kind: str = "VIRTIO", mac: str = "") -> dict[str, Any]:
    return {"uuid": uuid, "type": kind, "vlan": vlan, "macAddress": mac or f"7C:4C:58:00:00:{vlan:02X}"}


def record(**changes: Any) -> dict[str, Any]:
    vm: dict[str, Any] = {
        "uuid": UUID,
        "name": "web-01",
        "description": "Web server",
        "tags": "web,prod",
        "mem": 4 * GiB,
        "numVCPU": 2,
        "state": "RUNNING",
        "desiredDisposition": "RUNNING",
        "machineType": "scale-uefi-9.3",
        "machineTypeKeyword": "uefi",
        "blockDevs": [disk("d0", 0, 50 * GiB), disk("d1", 1, 20 * 10**9), disk("nv", -1, 540672, "NVRAM")],
        "netDevs": [nic("n20", 20), nic("n10", 10)],
        "bootDevices": ["d0", "n10", "n20"],
        "snapshotScheduleUUID": "",
        "affinityStrategy": {"strictAffinity": False, "preferredNodeUUID": "", "backupNodeUUID": ""},
    }
    vm.update(changes)
    return vm


def imported(**changes: Any) -> ImportedVm:
    result = convert_vm(record(**changes), NETWORKS)
    assert isinstance(result, ImportedVm), result
    return result


def skipped(**changes: Any) -> Skipped:
    result = convert_vm(record(**changes), NETWORKS)
    assert isinstance(result, Skipped), result
    return result


def test_vm_fields_are_what_the_provider_reads() -> None:
    vm = imported(mem=4 * GiB + 123)
    assert (vm.name, vm.description, vm.cpu, vm.memory, vm.state, vm.tags) == (
        "web-01",
        "Web server",
        2,
        4 * GiB,
        "running",
        ["web", "prod"],
    )
    assert any("not a whole MiB" in note for note in vm.notes)


def test_disks_are_named_by_slot_with_exact_capacity_and_no_firmware_devices() -> None:
    vm = imported()
    assert [(d.name, d.type, d.capacity) for d in vm.disks] == [
        ("disk-0", "virtio_disk", 50 * GiB),
        ("disk-1", "virtio_disk", 20 * 10**9),
    ]


def test_import_ids_use_the_providers_formats() -> None:
    assert imported().imports == {
        "hypercore_disk.web-01__disk-0": f"{UUID}:VIRTIO_DISK:0",
        "hypercore_disk.web-01__disk-1": f"{UUID}:VIRTIO_DISK:1",
        "hypercore_nic.web-01__public-net": f"{UUID}:VIRTIO:10",
        "hypercore_nic.web-01__web-net": f"{UUID}:VIRTIO:20",
        "hypercore_vm.web-01": UUID,
        "hypercore_vm_boot_order.web-01": UUID,
        "hypercore_vm_power_state.web-01": UUID,
    }


def test_boot_disks_then_nics_by_network_name_become_boot_indexes() -> None:
    vm = imported(bootDevices=["d1", "d0", "n10", "n20"])
    assert {d.name: d.boot for d in vm.disks} == {"disk-1": 1, "disk-0": 2}


def test_empty_boot_order_gives_no_boot_index_and_no_boot_order_import() -> None:
    vm = imported(bootDevices=[])
    assert all(d.boot is None for d in vm.disks)
    assert "hypercore_vm_boot_order.web-01" not in vm.imports
    assert not any("boot order" in note for note in vm.notes)


@pytest.mark.parametrize(
    "order",
    [["n10", "d0", "n20"], ["d0", "n20", "n10"], ["d0"], ["n10", "n20"]],
    ids=["nic-first", "nics-unsorted", "nics-missing", "nics-only"],
)
def test_boot_order_a_manifest_cannot_express_is_left_as_is_and_said(order: list[str]) -> None:
    vm = imported(bootDevices=order)
    assert all(d.boot is None for d in vm.disks)
    assert "hypercore_vm_boot_order.web-01" not in vm.imports
    assert any(note.startswith("boot order [") and "left on the VM" in note for note in vm.notes)


@pytest.mark.parametrize(
    ("keyword", "machine_type", "expected"),
    [
        ("bios", "", "bios"),
        ("tpm", "", "tpm"),
        ("", "scale-8.10", "uefi"),
        ("", "scale-7.2", "bios"),
        ("", "scale-uefi-tpm-9.2", "tpm"),
        ("", "scale-uefi-tpm-9.6", "tpm"),
        ("", "scale-bios-9.5", "bios"),
        ("tpm-compatible", "", "tpm"),
    ],
)
def test_machine_type_comes_from_keyword_or_machine_type(
    keyword: str, machine_type: str, expected: str
) -> None:
    assert imported(machineTypeKeyword=keyword, machineType=machine_type).machine_type == expected


def test_unknown_machine_type_skips_the_vm() -> None:
    assert (
        "machine type 'scale-quantum-1'"
        in skipped(machineTypeKeyword="", machineType="scale-quantum-1").reason
    )


def test_paused_vm_is_skipped_with_what_to_do() -> None:
    assert "resume it or shut it off" in skipped(desiredDisposition="PAUSED", state="PAUSED").reason


def test_shutoff_vm_imports_as_shutoff() -> None:
    assert imported(desiredDisposition="SHUTOFF", state="SHUTOFF").state == "shutoff"


@pytest.mark.parametrize("name", ["web server", "web-", "db/1", "{{ x }}", "x" * 64])
def test_name_a_manifest_cannot_have_is_skipped_with_a_new_name(name: str) -> None:
    reason = skipped(name=name).reason
    assert "rename it on the cluster" in reason


def test_two_nics_on_one_vlan_manage_the_first_only() -> None:
    vm = imported(
        netDevs=[nic("a", 20, mac="7C:4C:58:00:00:0A"), nic("b", 20, mac="7C:4C:58:00:00:0B")], bootDevices=[]
    )
    assert [(n.network, n.mac) for n in vm.nics] == [("web-net", "7C:4C:58:00:00:0A")]
    assert any("7C:4C:58:00:00:0B" in note and "cannot tell them apart" in note for note in vm.notes)


def test_unmapped_vlan_is_reported_not_named() -> None:
    vm = imported(netDevs=[nic("a", 99, mac="7C:4C:58:00:00:99")], bootDevices=[])
    assert vm.nics == [] and vm.unmapped_vlans == [(99, "7C:4C:58:00:00:99")]


def test_vlan_of_two_networks_takes_the_first_name_alphabetically() -> None:
    networks = NetworkMap.from_networks({"zeta": 20, "alpha": 20})
    result = convert_vm(record(netDevs=[nic("a", 20)], bootDevices=[]), networks)
    assert isinstance(result, ImportedVm)
    assert result.nics[0].network == "alpha"
    assert any("'alpha' and 'zeta'" in note for note in result.notes)


def test_devices_a_manifest_has_no_type_for_are_left_out_and_said() -> None:
    vm = imported(
        blockDevs=[disk("d0", 0), disk("s0", 0, kind="SCSI_DISK")],
        netDevs=[nic("n20", 20), nic("e1", 30, kind="INTEL_E1000")],
        bootDevices=[],
    )
    assert [d.name for d in vm.disks] == ["disk-0"] and [n.network for n in vm.nics] == ["web-net"]
    assert any(note.startswith("SCSI_DISK device") for note in vm.notes)
    assert any(note.startswith("INTEL_E1000 NIC") for note in vm.notes)


def test_cdrom_imports_as_an_empty_drive_and_says_which_iso_stays_in() -> None:
    vm = imported(
        blockDevs=[disk("d0", 0), disk("c0", 0, 1000, "IDE_CDROM", name="tools.iso", path="scribe/tools")],
        bootDevices=[],
    )
    assert [(d.name, d.type, d.capacity) for d in vm.disks] == [
        ("disk-0", "virtio_disk", 10 * GiB),
        ("cdrom-0", "ide_cdrom", None),
    ]
    assert vm.imports["hypercore_disk.web-01__cdrom-0"] == f"{UUID}:IDE_CDROM:0"
    assert any("holds ISO 'tools.iso'" in note for note in vm.notes)


def test_tags_keep_their_order_and_none_is_empty() -> None:
    assert imported(tags="b,a").tags == ["b", "a"]
    assert imported(tags="").tags == []


def test_settings_a_manifest_cannot_hold_are_kept_and_said() -> None:
    vm = imported(
        snapshotScheduleUUID="sched-1",
        blockDevs=[disk("d0", 0, tieringPriorityFactor=16)],
        bootDevices=[],
    )
    assert any("snapshot schedule sched-1 is kept" in note for note in vm.notes)
    assert any("flash priority (tiering factor 16) is kept" in note for note in vm.notes)


def test_cloud_init_is_noticed_but_not_carried_over() -> None:
    assert imported(cloudInitData={"userData": "I2Nsb3VkLWNvbmZpZwo=", "metaData": ""}).has_cloud_init
    assert not imported().has_cloud_init


def cloud_init_drive(uuid: str, slot: int) -> dict[str, Any]:
    return disk(uuid, slot, 98304, "IDE_CDROM", name=f"cloud-init-{uuid}.iso", path=f"scribe/{uuid}")


def test_hypercores_cloud_init_and_guest_tools_drives_are_not_user_disks() -> None:
    # HyperCore put its cloud-init ISO in IDE slot 0 at clone time, so the user's CD-ROM went to slot 1 and the
    # guest tools (attached later) to slot 2: the user's drive keeps its own slot in name and import ID.
    vm = imported(
        blockDevs=[
            disk("d0", 0),
            cloud_init_drive("ci", 0),
            disk("c1", 1, 0, "IDE_CDROM"),
            disk("gt", 2, 1000, "IDE_CDROM", name="scale-guest-tools-9.4.iso", path="scribe/gt"),
        ],
        bootDevices=["d0", "c1", "n10", "n20"],
    )
    assert [(d.name, d.type, d.slot) for d in vm.disks] == [
        ("disk-0", "virtio_disk", 0),
        ("cdrom-1", "ide_cdrom", 1),
    ]
    assert vm.imports["hypercore_disk.web-01__cdrom-1"] == f"{UUID}:IDE_CDROM:1"
    assert not any(":IDE_CDROM:0" in value or ":IDE_CDROM:2" in value for value in vm.imports.values())
    assert {d.name: d.boot for d in vm.disks} == {"disk-0": 1, "cdrom-1": 2}
    assert any(note.startswith("HyperCore's cloud-init drive (IDE slot 0") for note in vm.notes)
    assert any(note.startswith("HyperCore's guest tools drive (IDE slot 2") for note in vm.notes)
    assert not any("holds ISO" in note for note in vm.notes)


def test_a_boot_order_through_the_cloud_init_drive_is_left_as_is_and_named() -> None:
    vm = imported(
        blockDevs=[disk("d0", 0), cloud_init_drive("ci", 1)], bootDevices=["ci", "d0", "n10", "n20"]
    )
    assert "hypercore_vm_boot_order.web-01" not in vm.imports
    assert any("boot order [HyperCore's cloud-init drive, disk-0" in note for note in vm.notes)
