"""VM names that would collide on one cluster are a validate-time error naming both files and lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetform.errors import InputError
from fleetform.synth.inputs import load_inputs

SITE = """\
networks: {lan: 10}
templates: {uefi: tmpl-uefi, bios: tmpl-bios}
"""
FLEET = """\
networks: {lan: 10}
templates: {uefi: tmpl-uefi}
clusters:
  - name: store-1
    host: http://127.0.0.1:9001
    selector: ["env:prod"]
    templates: {bios: store-bios}
  - name: lab
    host: http://127.0.0.1:9003
    selector: ["env:lab"]
"""


def app(name: str, vms: str, labels: str = "") -> str:
    meta = f"  name: {name}\n" + (f"  labels: [{labels}]\n" if labels else "")
    return f'type: Application\nversion: "1.0.0"\nmetadata:\n{meta}spec:\n  resources:\n{vms}'


def vm(name: str, machine_type: str = "uefi") -> str:
    return (
        f"    - type: virdomain\n      name: {name}\n"
        f"      spec: {{cpu: 1, memory: 1GiB, machine_type: {machine_type}, state: running}}\n"
    )


def write(tmp_path: Path, site: str, **manifests: str) -> Path:
    (tmp_path / "fleetform.yaml").write_text(site)
    directory = tmp_path / "manifests"
    directory.mkdir()
    for name, text in manifests.items():
        (directory / f"{name}.yaml").write_text(text)
    return directory


def errors(tmp_path: Path, site: str, **manifests: str) -> list[str]:
    directory = write(tmp_path, site, **manifests)
    with pytest.raises(InputError) as raised:
        load_inputs([directory], tmp_path / "fleetform.yaml")
    return [str(issue) for issue in raised.value.issues]


def test_two_applications_with_a_vm_of_the_same_name_name_both_files_and_lines(tmp_path: Path) -> None:
    found = errors(tmp_path, SITE, alpha=app("alpha", vm("web") + vm("db")), beta=app("beta", vm("web")))
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path}/manifests/beta.yaml:8:13: error: VM name 'web' is also a VM of")
    assert f"application 'alpha' ({tmp_path}/manifests/alpha.yaml:8:13)" in found[0]
    assert "rename one of them" in found[0]


def test_a_vm_named_like_a_template_vm_is_an_error(tmp_path: Path) -> None:
    found = errors(tmp_path, SITE, alpha=app("alpha", vm("tmpl-bios")))
    assert len(found) == 1
    assert "VM name 'tmpl-bios' is also the template VM of machine type bios" in found[0]
    assert f"({tmp_path}/fleetform.yaml:2:" in found[0]


def test_replicas_of_two_applications_collide_too(tmp_path: Path) -> None:
    replicas = (
        '    - type: virdomain\n      name: "node-{{ instance_id }}"\n      x-fleetform: {replicas: 2}\n'
        "      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: running}\n"
    )
    found = errors(tmp_path, SITE, alpha=app("alpha", replicas), beta=app("beta", vm("node-02")))
    assert len(found) == 1 and "VM name 'node-02' is also a VM of application 'alpha'" in found[0]


def test_the_same_name_on_two_clusters_is_fine_and_a_clusters_own_template_counts(tmp_path: Path) -> None:
    directory = write(
        tmp_path,
        FLEET,
        shop=app("shop", vm("web"), labels='"env:prod"'),
        lab=app("lab", vm("web"), labels='"env:lab"'),
    )
    inputs = load_inputs([directory], tmp_path / "fleetform.yaml")
    assert sorted(s.name for s in inputs.stacks) == ["lab--lab", "shop--store-1"]
    (tmp_path / "manifests" / "edge.yaml").write_text(app("edge", vm("store-bios"), labels='"env:prod"'))
    with pytest.raises(InputError) as raised:
        load_inputs([directory], tmp_path / "fleetform.yaml")
    (message,) = [str(i) for i in raised.value.issues]
    assert "template VM of machine type bios" in message and "on cluster 'store-1'" in message
    assert f"{tmp_path}/fleetform.yaml:7:" in message
