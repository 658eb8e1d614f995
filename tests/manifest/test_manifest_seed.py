"""The seed's three applications load, keep their values exactly, and fit the demo site configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetform.manifest.loader import LoadedManifest, load_manifests
from fleetform.manifest.strict import strict_issues
from fleetform.site.config import load_config

ROOT = Path(__file__).resolve().parents[2]
GiB = 1024**3


@pytest.fixture(scope="module")
def seed() -> dict[str, LoadedManifest]:
    return {lm.name: lm for lm in load_manifests([ROOT / "manifests"])}


def test_load_seed_yields_three_applications_with_twelve_vms(seed: dict[str, LoadedManifest]) -> None:
    assert sorted(seed) == ["microservices-stack", "mixed-os-enterprise", "three-tier-webapp"]
    assert sum(len(lm.application.spec.resources) for lm in seed.values()) == 12


def test_seed_manifests_pass_demo_site_config(seed: dict[str, LoadedManifest]) -> None:
    site = load_config(ROOT / "fleetform.yaml")
    for lm in seed.values():
        assert site.check(lm) == []


def test_seed_warns_only_about_its_plaintext_passwords(seed: dict[str, LoadedManifest]) -> None:
    warnings = [(Path(w.location.path).name, w.location.line) for lm in seed.values() for w in lm.warnings]
    assert sorted(warnings) == [
        (
            "mixed-os-enterprise.yaml",
            53,
        ),  # -SafeModeAdministratorPassword (ConvertTo-SecureString 'P@ssw0rd123!'
        ("mixed-os-enterprise.yaml", 198),  # CREATE USER 'appuser'@'%' IDENTIFIED BY 'apppassword'
        ("three-tier-webapp.yaml", 297),  # CREATE USER appuser WITH PASSWORD 'apppassword'
    ]
    assert all("plain text" in w.message for lm in seed.values() for w in lm.warnings)


def test_seed_memory_strings_become_bytes(seed: dict[str, LoadedManifest]) -> None:
    app = seed["three-tier-webapp"].application
    memory = {vm.name: vm.spec.memory for vm in app.spec.resources}
    assert memory["web-tier-lb"] == 2 * GiB
    assert memory["db-tier-primary"] == 15 * GiB


def test_seed_capacities_and_boot_order_are_kept(seed: dict[str, LoadedManifest]) -> None:
    primary = seed["three-tier-webapp"].vm("db-tier-primary").spec
    disks = {d.name: (d.source, d.capacity, d.boot) for d in primary.storage_devices}
    assert disks == {
        "db-system": ("ubuntu-db", 50 * GiB, 1),
        "db-data": (None, 200 * GiB, None),
        "db-logs": (None, 100 * GiB, None),
    }
    fileserver = seed["mixed-os-enterprise"].vm("windows-fileserver").spec
    assert fileserver.storage_devices[1].capacity == 500 * GiB


def test_seed_cloud_init_text_is_kept_exactly(seed: dict[str, LoadedManifest]) -> None:
    init = seed["mixed-os-enterprise"].vm("windows-dc").spec.cloud_init_data
    assert init is not None
    assert init.meta_data == "instance-id: windows-dc-001\nlocal-hostname: dc01\n"
    assert init.user_data is not None
    assert init.user_data.startswith("#cloud-config\nruncmd:\n  - powershell -Command ")
    assert '-AsPlainText -Force) -Force"\n' in init.user_data
    lb = seed["three-tier-webapp"].vm("web-tier-lb").spec.cloud_init_data
    assert lb is not None and lb.user_data is not None
    assert "          proxy_pass http://app_servers;\n" in lb.user_data


def test_seed_tags_labels_and_machine_types_are_kept(seed: dict[str, LoadedManifest]) -> None:
    app = seed["mixed-os-enterprise"].application
    assert app.metadata.labels == ["architecture:mixed-os", "environment:enterprise"]
    dc = seed["mixed-os-enterprise"].vm("windows-dc").spec
    assert dc.tags == ["os:windows", "role:domain-controller", "service:active-directory"]
    assert dc.machine_type == "tpm"
    assert [n.name for n in seed["three-tier-webapp"].vm("web-tier-lb").spec.network_devices] == [
        "public-net",
        "web-net",
    ]


def test_seed_locate_helpers_point_at_the_right_lines(seed: dict[str, LoadedManifest]) -> None:
    lm = seed["three-tier-webapp"]
    lines = (ROOT / "manifests" / "three-tier-webapp.yaml").read_text().splitlines()

    def text_at(location_line: int) -> str:
        return lines[location_line - 1].strip()

    assert text_at(lm.locate_vm("db-tier-primary").line) == 'name: "db-tier-primary"'
    assert text_at(lm.locate_field("db-tier-primary", "memory").line) == 'memory: "16106127360"  # 15 GB'
    assert text_at(lm.locate_disk("db-tier-primary", "db-logs").line) == '- name: "db-logs"'
    assert text_at(lm.locate_disk("db-tier-primary", "db-logs", "capacity").line).startswith("capacity: 1073")
    assert text_at(lm.locate_nic("web-tier-lb", 1).line) == '- name: "web-net"'
    assert text_at(lm.locate_asset("ubuntu-db", "url").line).startswith('url: "https://')
    assert lm.locate_vm("db-tier-primary").path == str(ROOT / "manifests" / "three-tier-webapp.yaml")


def test_strict_seed_reports_only_colons_in_tags_and_labels(seed: dict[str, LoadedManifest]) -> None:
    findings = [issue for lm in seed.values() for issue in strict_issues(lm)]
    labels = sum(len(lm.application.metadata.labels) for lm in seed.values())
    tags = [tag for lm in seed.values() for vm in lm.application.spec.resources for tag in vm.spec.tags]
    colon_tags = sum(1 for tag in tags if ":" in tag)
    assert len(findings) == labels + colon_tags == 7 + 22
    assert all("contains ':'" in f.message and f.is_error for f in findings)
    assert all(f.location.line > 0 for f in findings)
