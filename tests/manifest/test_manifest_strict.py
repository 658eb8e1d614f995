"""--strict: each departure from Fleet Manager's published schema is reported at its line with a fix."""

from __future__ import annotations

import pytest

from fleetform.errors import Issue
from fleetform.manifest.loader import parse_manifest
from fleetform.manifest.strict import strict_issues

STRICT_CLEAN = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
  labels: [team-web]
spec:
  assets:
    - {name: ubuntu_22.04, type: virtual_disk, format: raw, url: "https://x.example/u.img"}
  resources:
    - type: virdomain
      name: "web-{{clusterName}}"
      spec:
        cpu: 128
        memory: "4294967296"
        machine_type: uefi
        state: running
        storage_devices:
          - {name: system, type: virtio_disk, source: ubuntu_22.04, boot: 255, capacity: 1073741824}
          - {name: data, type: virtio_disk, capacity: "500GB"}
        network_devices:
          - {name: web-net, type: virtio}
        tags: [tier.web]
"""


def findings(text: str) -> list[Issue]:
    return strict_issues(parse_manifest(text, "m.yaml"))


def one(old: str, new: str) -> Issue:
    assert old in STRICT_CLEAN
    [issue] = findings(STRICT_CLEAN.replace(old, new))
    return issue


def test_strict_accepts_manifest_within_published_schema() -> None:
    assert findings(STRICT_CLEAN) == []


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("name: shop", "name: -shop-", 4, "application name '-shop-' starts or ends with"),
        ("[team-web]", "[team:web]", 5, "label 'team:web' contains ':'"),
        ("ubuntu_22.04", "ubuntu 22.04", 8, "asset name 'ubuntu 22.04' contains ' '"),
        ('"https://x.example/u.img"', '"http://x.example/u.img"', 8, "is not https://"),
        (
            '"web-{{clusterName}}"',
            '"web-{{ clusterName }}"',
            11,
            "VM name 'web-{{ clusterName }}' contains ' '",
        ),
        ("cpu: 128", "cpu: 129", 13, "cpu 129 is more than 128"),
        ('memory: "4294967296"', "memory: 4294967296", 14, "is not a quoted string of digits"),
        ('memory: "4294967296"', "memory: 4GiB", 14, "memory '4GiB' is not a quoted string of digits"),
        ("name: system,", "name: System,", 18, "storage device name 'System' contains 'S'"),
        ("boot: 255", "boot: 256", 18, "boot 256 is more than 255"),
        ("capacity: 1073741824}", "capacity: 1073741823}", 18, "capacity 1073741823 (1073741823 B) is out"),
        ('capacity: "500GB"', 'capacity: "500 GB"', 19, "capacity '500 GB' does not match"),
        ('capacity: "500GB"', 'capacity: "500Gi"', 19, "capacity '500Gi' does not match"),
        ("{name: web-net,", "{name: web_net,", 21, "network device name 'web_net' contains '_'"),
        ("[tier.web]", "[tier:web]", 22, "tag 'tier:web' contains ':'"),
        ("state: running", 'state: running\n        description: "' + "x" * 256 + '"', 17, "longer than 255"),
        ("source: ubuntu_22.04, boot", "source: null, boot", 18, "'source' is empty (null)"),
    ],
)
def test_strict_reports_departure_at_its_line(old: str, new: str, line: int, message: str) -> None:
    text = STRICT_CLEAN.replace(old, new)
    issues = [i for i in findings(text) if message in i.message]
    assert [i.location.line for i in issues] == [line], [str(i) for i in findings(text)]
    assert issues[0].is_error and issues[0].hint


def test_strict_reports_empty_cdrom_the_schema_requires_source_or_capacity() -> None:
    cdrom = "\n          - {name: cd, type: ide_cdrom}"
    text = STRICT_CLEAN.replace('capacity: "500GB"}', 'capacity: "500GB"}' + cdrom)
    [issue] = findings(text)
    assert issue.location.line == 20
    assert "storage device 'cd' has neither source nor capacity" in issue.message


def test_strict_suggests_schema_safe_spelling() -> None:
    issue = one("[tier.web]", "[tier:web]")
    assert "e.g. 'tier-web'" in issue.hint
