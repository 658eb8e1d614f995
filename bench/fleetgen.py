"""Generate a fleet for the benchmarks: seed-like applications of five VMs each, spread over several clusters.

    .venv/bin/python bench/fleetgen.py DIR --vms 1000 [--clusters 4]

Each application is one of the three seed manifests in ``manifests/`` (three-tier web app, mixed-OS
enterprise, microservices; taken in turn), renamed ``<seed>-<nnnn>``, its VM names prefixed with the
application number so that every VM name is unique on its cluster, and cut or padded to five VMs (padding
copies the seed's last VM under a new name). Each application carries a ``site:<cluster>`` label and each
cluster in ``fleetform.yaml`` ``clusters:`` selects one label, so every application runs on exactly one
cluster and every stack is ``<application>--<cluster>``. The site is the repository's ``fleetform.yaml``
(networks, templates) with those clusters; cluster hosts point at ``--host`` (default: a placeholder).
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ("three-tier-webapp", "mixed-os-enterprise", "microservices-stack")
VMS_PER_APP = 5


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line text, like the seed manifests."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _seed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifests" / f"{name}.yaml").read_text())
    return data


def application(number: int, cluster: str, seeds: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Application ``number`` (0-based) of a generated fleet, placed on ``cluster``."""
    seeds = seeds or {name: _seed(name) for name in SEEDS}
    seed_name = SEEDS[number % len(SEEDS)]
    data = copy.deepcopy(seeds[seed_name])
    prefix = f"a{number:04d}"
    data["metadata"]["name"] = f"{seed_name}-{number:04d}"
    data["metadata"]["labels"] = [*data["metadata"].get("labels", []), f"site:{cluster}"]
    vms = data["spec"]["resources"][:VMS_PER_APP]
    while len(vms) < VMS_PER_APP:
        extra = copy.deepcopy(vms[-1])
        extra["name"] = f"{extra['name']}-{len(vms) + 1}"
        vms.append(extra)
    for vm in vms:
        vm["name"] = f"{prefix}-{vm['name']}"
    data["spec"]["resources"] = vms
    return data


def cluster_names(count: int) -> list[str]:
    return [f"store-{n + 1}" for n in range(count)]


def site(clusters: list[str], host: str) -> dict[str, Any]:
    """The repository's site configuration with ``clusters`` (each selecting its ``site:`` label)."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "fleetform.yaml").read_text())
    data["clusters"] = [{"name": name, "host": host, "selector": [f"site:{name}"]} for name in clusters]
    return data


def write_fleet(
    directory: Path, vms: int, *, clusters: int = 4, host: str = "https://10.0.0.1"
) -> list[Path]:
    """Write ``DIR/fleetform.yaml`` and ``DIR/manifests/*.yaml`` for a fleet of ``vms`` VMs; the manifests."""
    if vms % VMS_PER_APP:
        raise ValueError(f"--vms must be a multiple of {VMS_PER_APP}")
    names = cluster_names(clusters)
    (directory / "manifests").mkdir(parents=True, exist_ok=True)
    (directory / "fleetform.yaml").write_text(yaml.safe_dump(site(names, host), sort_keys=False))
    seeds = {name: _seed(name) for name in SEEDS}
    paths = []
    for number in range(vms // VMS_PER_APP):
        data = application(number, names[number % len(names)], seeds)
        path = directory / "manifests" / f"{data['metadata']['name']}.yaml"
        path.write_text(dump(data))
        paths.append(path)
    return paths


def single_application(vms: int, name: str = "big", labels: list[str] | None = None) -> dict[str, Any]:
    """One application of ``vms`` VMs: the VMs (and images) of ``vms / 5`` generated applications together."""
    seeds = {seed: _seed(seed) for seed in SEEDS}
    parts = [application(number, "-", seeds) for number in range(vms // VMS_PER_APP)]
    assets = {asset["name"]: asset for part in parts for asset in part["spec"].get("assets", [])}
    return {
        "type": "Application",
        "version": "1.0.0",
        "metadata": {"name": name, "labels": list(labels or [])},
        "spec": {
            "assets": list(assets.values()),
            "resources": [vm for part in parts for vm in part["spec"]["resources"]],
        },
    }


def dump(data: dict[str, Any]) -> str:
    """A manifest as YAML text, multi-line strings as block scalars."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=200)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--host", default="https://10.0.0.1")
    args = parser.parse_args()
    paths = write_fleet(args.directory, args.vms, clusters=args.clusters, host=args.host)
    print(f"{len(paths)} applications, {args.vms} VMs in {args.directory}")


if __name__ == "__main__":
    main()
