"""Install the stand-in as ``registry.terraform.io/scalecomputing/hypercore`` 1.4.0 in a filesystem mirror.

``python -m fleetform.standin_provider.install --mirror DIR --cli-config FILE`` writes the provider package
(``DIR/registry.terraform.io/scalecomputing/hypercore/terraform-provider-hypercore_1.4.0_<os>_<arch>.zip``)
and a Terraform CLI configuration that takes this one provider from the mirror and everything else from its
usual place; point ``TF_CLI_CONFIG_FILE`` at it. ``terraform init`` then works offline, with the same
``source`` and version constraint as against the registry.

The package is reproducible: a fixed timestamp and mode, no compression, no absolute paths, so every clone on
every machine builds the same bytes and the hash Terraform writes into ``.terraform.lock.hcl`` stays valid.
Terraform runs the package's script from a copy under ``.terraform/providers/``; the script starts the
stand-in with ``$FLEETFORM_STANDIN_PYTHON`` (a Python that can import fleetform, e.g. the project's
``.venv/bin/python``), or ``python3`` from ``PATH``. Running the installer again changes nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fleetform.standin_provider.schema import PROVIDER_ADDRESS

VERSION = "1.4.0"
PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64")
PYTHON_ENV = "FLEETFORM_STANDIN_PYTHON"
EXECUTABLE = f"terraform-provider-hypercore_v{VERSION}"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

LAUNCHER = f"""#!/bin/sh
# fleetform stand-in for {PROVIDER_ADDRESS} {VERSION} (HyperCore simulator mode).
# Terraform starts this; it runs the stand-in with ${PYTHON_ENV}, or python3 from PATH.
python="${{{PYTHON_ENV}:-python3}}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "fleetform stand-in: cannot run '$python'; set {PYTHON_ENV} to a Python with fleetform" >&2
  exit 1
fi
exec "$python" -m fleetform.standin_provider "$@"
"""


@dataclass(frozen=True)
class Installed:
    """What :func:`install` wrote: the package zips and the CLI configuration (if asked for)."""

    packages: list[Path]
    cli_config: Path | None
    changed: bool


def package_bytes() -> bytes:
    """The provider package (a zip holding the launcher script), identical on every machine."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        entry = zipfile.ZipInfo(EXECUTABLE, date_time=ZIP_TIME)
        entry.create_system = 3  # Unix, so the mode below is honoured
        entry.external_attr = (0o100755 & 0xFFFF) << 16
        archive.writestr(entry, LAUNCHER)
    return buffer.getvalue()


def cli_config_text(mirror: Path) -> str:
    """A Terraform CLI configuration that installs only the hypercore provider from ``mirror``."""
    path = json.dumps(str(mirror.resolve()))
    address = json.dumps(PROVIDER_ADDRESS)
    return (
        "# Written by `python -m fleetform.standin_provider.install`: the hypercore provider comes from the\n"
        "# fleetform stand-in in a local mirror (simulator mode); every other provider as usual.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {path}\n"
        f"    include = [{address}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{address}]\n"
        "  }\n"
        "}\n"
    )


def install(mirror: Path, cli_config: Path | None = None) -> Installed:
    """Write the package for every platform into ``mirror`` and, if given, the CLI configuration file."""
    directory = mirror / PROVIDER_ADDRESS
    package = package_bytes()
    packages = [
        directory / f"terraform-provider-hypercore_{VERSION}_{platform}.zip" for platform in PLATFORMS
    ]
    changed = False
    for path in packages:
        changed |= _write(path, package)
    if cli_config is not None:
        changed |= _write(cli_config, cli_config_text(mirror).encode())
    return Installed(packages=packages, cli_config=cli_config, changed=changed)


def _write(path: Path, content: bytes) -> bool:
    if path.is_file() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fleetform.standin_provider.install",
        description=f"Install the fleetform stand-in as {PROVIDER_ADDRESS} {VERSION} in a filesystem mirror.",
    )
    parser.add_argument("--mirror", type=Path, required=True, help="filesystem mirror directory")
    parser.add_argument("--cli-config", type=Path, help="Terraform CLI configuration file to write")
    args = parser.parse_args(argv)
    try:
        result = install(args.mirror, args.cli_config)
    except OSError as exc:
        print(f"error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    state = "installed" if result.changed else "already installed"
    print(f"{PROVIDER_ADDRESS} {VERSION} (fleetform stand-in) {state} in {args.mirror}")
    if result.cli_config is not None:
        print(f"export TF_CLI_CONFIG_FILE={result.cli_config.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
