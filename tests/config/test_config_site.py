"""fleetform.yaml: networks, templates, the image mirror and state, with file:line:col errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetform.errors import ConfigError, Issue
from fleetform.manifest.loader import parse_manifest
from fleetform.site.config import load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]

MANIFEST = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
    - type: virdomain
      name: web
      spec:
        cpu: 1
        memory: 1GiB
        machine_type: tpm
        state: running
        network_devices:
          - {name: web-net, type: virtio}
          - {name: db-nett, type: virtio}
"""


def config_errors(text: str) -> list[Issue]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "site.yaml")
    return info.value.issues


def test_load_demo_config_has_networks_templates_and_state() -> None:
    site = load_config(ROOT / "fleetform.yaml")
    assert site.networks["public-net"] == 10
    assert len(site.networks) == 7 and len(set(site.networks.values())) == 7
    assert site.templates == {
        "bios": "fleetform-template-bios",
        "uefi": "fleetform-template-uefi",
        "tpm": "fleetform-template-tpm",
    }
    assert site.images == {}
    assert site.state.backend == "local"
    assert site.state_dir == ROOT / "state"


def test_load_config_defaults_to_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fleetform.yaml").write_text("networks: {lan: 0}\n")
    monkeypatch.chdir(tmp_path)
    assert load_config().networks == {"lan": 0}


def test_load_config_missing_file_raises_with_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "fleetform.yaml")
    [issue] = info.value.issues
    assert issue.message == "site configuration not found"
    assert "--config" in issue.hint


@pytest.mark.parametrize("key", ["password", "host", "username"])
def test_config_rejects_credentials_saying_where_they_belong(key: str) -> None:
    [issue] = config_errors(f"networks: {{lan: 0}}\n{key}: secret\n")
    assert (issue.location.line, issue.location.col) == (2, 1)
    assert f"'{key}' does not belong in site.yaml" in issue.message
    assert "HC_HOST, HC_USERNAME, HC_PASSWORD" in issue.message


def test_config_unknown_key_points_at_key_with_did_you_mean() -> None:
    [issue] = config_errors("networks: {lan: 0}\nimage:\n  a: b\n")
    assert (issue.location.line, issue.location.col) == (2, 1)
    assert issue.message == "unknown field 'image' in the top level; did you mean 'images'?"


def test_config_rejects_vlan_out_of_range_and_quoted() -> None:
    issues = config_errors("networks:\n  web-net: 5000\n  db-net: '40'\n")
    assert [(i.location.line, i.message) for i in issues] == [
        (2, "networks.web-net must be at most 4094, not 5000"),
        (3, 'networks.db-net must be a whole number, not the text "40"'),
    ]


def test_config_rejects_unknown_machine_type_key_at_the_key() -> None:
    [issue] = config_errors("templates:\n  efi: my-template\n")
    assert (issue.location.line, issue.location.col) == (2, 3)
    assert "did you mean 'uefi'?" in issue.message


def test_config_rejects_duplicate_keys() -> None:
    [issue] = config_errors("networks:\n  lan: 1\n  lan: 2\n")
    assert issue.location.line == 3 and "duplicate key 'lan'" in issue.message


def test_check_reports_unknown_network_with_line_to_add() -> None:
    site = load_config(ROOT / "fleetform.yaml")
    issues = site.check(parse_manifest(MANIFEST, "app.yaml"))
    [network] = [i for i in issues if "network" in i.message]
    assert (network.location.line, network.location.col) == (16, 20)
    assert network.message == "unknown network 'db-nett'; did you mean 'db-net'?"
    assert "add this line under networks: there:  db-nett: 80" in network.hint


def test_check_reports_machine_type_without_template_with_line_to_add() -> None:
    site = parse_config("networks: {web-net: 20, db-nett: 40}\ntemplates: {uefi: t-uefi}\n", "site.yaml")
    [issue] = site.check(parse_manifest(MANIFEST, "app.yaml"))
    assert (issue.location.line, issue.location.col) == (12, 23)
    assert issue.message == "no template VM for machine type 'tpm'"
    assert "site.yaml" in issue.hint and "tpm: fleetform-template-tpm" in issue.hint


def test_resolve_image_maps_mirrored_url_to_path_beside_config(tmp_path: Path) -> None:
    config = tmp_path / "fleetform.yaml"
    config.write_text(
        "images:\n"
        "  https://x.example/a.img: images/a.img\n"
        "  https://x.example/b.img: https://mirror.local/b.img\n"
    )
    site = load_config(config)
    assert site.resolve_image("https://x.example/a.img") == str(tmp_path / "images" / "a.img")
    assert site.resolve_image("https://x.example/b.img") == "https://mirror.local/b.img"
    assert site.resolve_image("https://x.example/c.img") == "https://x.example/c.img"


def test_state_dir_is_relative_to_config_file(tmp_path: Path) -> None:
    config = tmp_path / "site" / "fleetform.yaml"
    config.parent.mkdir()
    config.write_text("state: {dir: tfstate}\n")
    assert load_config(config).state_dir == tmp_path / "site" / "tfstate"


@pytest.mark.parametrize(
    "text",
    [
        "networks:\n\tweb-net: 20\n",  # a tab where a key starts
        "networks:\n  web-net: 20\n\ttemplates: {}\n",  # a tab after a block (PyYAML words this one differently)
    ],
)
def test_a_tab_in_fleetform_yaml_is_reported_like_one_in_a_manifest(text: str) -> None:
    (issue,) = config_errors(text)
    assert issue.message == "a tab character; YAML indents with spaces only"
    assert issue.hint == "replace the tab with spaces"
    assert issue.location.col == 1 and issue.location.line == text.count("\n", 0, text.index("\t")) + 1


def test_an_unclosed_quote_in_fleetform_yaml_is_reported_where_the_string_starts() -> None:
    (issue,) = config_errors('templates:\n  uefi: "tmpl-uefi\n  bios: tmpl-bios\nnetworks: {lan: 10}\n')
    assert (issue.location.line, issue.location.col) == (2, 9)
    assert issue.message.startswith("a quoted string starts here and is not closed on this line")
