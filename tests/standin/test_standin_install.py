"""Installing the stand-in into a filesystem mirror: reproducible, idempotent, usable by `terraform init`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from fleetform.standin_provider.install import EXECUTABLE, cli_config_text, install, package_bytes
from fleetform.standin_provider.provider import StandinProvider

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_SCHEMA = ROOT / "fleetform" / "providers" / "hypercore-provider-schema.json"
PACKAGE = "registry.terraform.io/scalecomputing/hypercore/terraform-provider-hypercore_1.4.0_linux_amd64.zip"


def test_package_bytes_are_identical_across_builds_and_checkouts(tmp_path: Path) -> None:
    first = install(tmp_path / "a").packages[0].read_bytes()
    assert first == package_bytes()
    entry = zipfile.ZipFile(tmp_path / "a" / PACKAGE).infolist()
    assert [e.filename for e in entry] == [EXECUTABLE]
    assert entry[0].date_time == (1980, 1, 1, 0, 0, 0)
    assert (entry[0].external_attr >> 16) & 0o777 == 0o755
    script = zipfile.ZipFile(tmp_path / "a" / PACKAGE).read(EXECUTABLE).decode()
    assert str(ROOT) not in script and str(tmp_path) not in script
    assert "FLEETFORM_STANDIN_PYTHON" in script


def test_install_twice_changes_nothing(tmp_path: Path) -> None:
    first = install(tmp_path / "mirror", tmp_path / "tf.rc")
    second = install(tmp_path / "mirror", tmp_path / "tf.rc")
    assert first.changed and not second.changed


def test_cli_config_takes_only_hypercore_from_the_mirror(tmp_path: Path) -> None:
    text = cli_config_text(tmp_path / "mirror")
    assert f'path    = "{(tmp_path / "mirror").resolve()}"' in text
    assert text.count('"registry.terraform.io/scalecomputing/hypercore"') == 2
    assert "dev_overrides" not in text


def test_module_entry_point_writes_mirror_and_config(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fleetform.standin_provider.install",
            "--mirror",
            str(tmp_path / "m"),
            "--cli-config",
            str(tmp_path / "tf.rc"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (tmp_path / "m" / PACKAGE).is_file()
    assert "TF_CLI_CONFIG_FILE" in result.stdout


def test_terraform_init_offline_and_schema_equals_reference(tmp_path: Path) -> None:
    install(tmp_path / "mirror", tmp_path / "tf.rc")
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf.json").write_text(
        json.dumps(
            {
                "terraform": {
                    "required_providers": {
                        "hypercore": {"source": "ScaleComputing/hypercore", "version": "1.4.0"}
                    }
                },
                "provider": {"hypercore": {}},
            }
        )
    )
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(tmp_path / "tf.rc"),
        "FLEETFORM_STANDIN_PYTHON": sys.executable,
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
    }
    subprocess.run(
        ["terraform", "init", "-input=false", "-no-color"], cwd=work, env=env, check=True, capture_output=True
    )
    shown = subprocess.run(
        ["terraform", "providers", "schema", "-json"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(shown.stdout) == json.loads(REFERENCE_SCHEMA.read_text())
    assert "h1:" in (work / ".terraform.lock.hcl").read_text()


def test_configure_without_settings_reports_the_real_providers_three_errors() -> None:
    failures = StandinProvider(environ={}).configure({})
    assert [f.summary for f in failures] == [
        "Missing Host URI Configuration",
        "Missing Username Configuration",
        "Missing Password Configuration",
    ]
    assert "HC_HOST" in failures[0].detail


def test_configure_attribute_wins_over_environment() -> None:
    failures = StandinProvider(environ={"HC_HOST": "http://env", "HC_USERNAME": "u"}).configure(
        {"host": "not-a-url", "password": "pw"}
    )
    assert len(failures) == 1
    assert 'Post "not-a-url/rest/v1/login"' in failures[0].detail
