"""The lower bound for synth: parse and validate the same manifests, json.dumps equivalent Terraform JSON.

    .venv/bin/python bench/lower_bound.py --config fleetform.yaml --manifests manifests --out lb.out

What any tool must do for a fleet, done as directly as Python allows, with no cdktf:

- parse: PyYAML's C loader (``yaml.CSafeLoader``), without the source positions fleetform keeps for its error
  messages;
- validate: fleetform's own pydantic models (``SiteConfig``, ``Application``) and the cross-field checks
  (``check_application``), so the same manifests are accepted for the same reasons;
- translate: a dict per stack built in one pass (written here, independently of fleetform's constructs and
  renderer): the same resources, attributes, references, lifecycle rules, ``//`` metadata, provider, backend,
  variables and the output recording the stack's manifest; ``bench/run.py`` checks that the result equals fleetform's JSON once parsed;
- write: ``json.dumps(indent=2, sort_keys=True)`` to ``OUT/stacks/<stack>/cdk.tf.json``.

Only what the generated benchmark fleets use is supported (no templating, replicas, startup order, secrets,
imports, image mirrors or pg state); anything else stops with an error rather than writing something else.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fleetform.manifest.model import Application, check_application  # noqa: E402
from fleetform.site.config import SiteConfig  # noqa: E402
from fleetform.synth.origins import ORIGIN_OUTPUT, origin_of  # noqa: E402

CDKTF_VERSION = "0.21.0"
_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_TEMPLATE = re.compile(r"([$%])\{(?!TfToken\[)")
_EXTENSIONS = {".img", ".raw", ".qcow2", ".vmdk", ".vhd", ".vhdx"}


def lid(*parts: str) -> str:
    text = "__".join(_INVALID.sub("_", p) for p in parts)
    return text if re.match(r"[A-Za-z_]", text) else "_" + text


def lit(text: str) -> str:
    return _TEMPLATE.sub(r"\1\1{", text)


def size_gb(capacity: int) -> float:
    """Decimal GB the provider's float arithmetic keeps exact (round up to a whole MB, then further)."""

    def exact(b: int) -> bool:
        gb = b / 1e9
        return gb * 1000 * 1000 * 1000 == b and b / 1000 / 1000 / 1000 == gb

    if exact(capacity):
        return capacity / 1e9
    candidate = math.ceil(capacity / 1e6) * 1e6
    for _ in range(1000):
        if exact(int(candidate)):
            return int(candidate) / 1e9
        candidate += 1e6
    return math.ceil(capacity / 1e9)


def meta(path: str, name: str) -> dict[str, Any]:
    return {"metadata": {"path": path, "uniqueId": name}}


def stack_json(
    app: Application,
    stack: str,
    cluster: Any,
    site: SiteConfig,
    networks: dict[str, int],
    state: str,
    origin: str,
) -> dict[str, Any]:
    name = app.metadata.name
    res: dict[str, dict[str, Any]] = {}
    data: dict[str, dict[str, Any]] = {}
    root = f"{stack}/app"
    kinds = {}
    for asset in app.spec.assets:
        if asset.url not in site.images and not asset.url.startswith(("http://", "https://")):
            raise SystemExit("lower bound: local images are not supported")
        kind = "hypercore_iso" if asset.format == "iso" else "hypercore_virtual_disk"
        suffix = Path(asset.url.split("?")[0]).suffix.lower()
        ext = ".iso" if asset.format == "iso" else (suffix if suffix in _EXTENSIONS else ".img")
        kinds[asset.name] = kind
        res.setdefault(kind, {})[lid(asset.name)] = {
            "//": meta(f"{root}/{asset.name}/Resource", lid(asset.name)),
            "name": lit(f"{name}-{asset.name}{ext}"),
            "source_url": lit(asset.url),
        }
    for vm in app.spec.resources:
        spec = vm.spec
        if vm.settings.depends_on or vm.settings.replicas != 1:
            raise SystemExit("lower bound: startup order and replicas are not supported")
        base = lid(vm.name)
        ref = f"${{hypercore_vm.{base}.id}}"
        template = f"template-{spec.machine_type}"
        data.setdefault("hypercore_vms", {})[template] = {
            "//": meta(f"{root}/Template-{spec.machine_type}/Resource", template),
            "name": site.templates[spec.machine_type],
        }
        machine: dict[str, Any] = {
            "//": meta(f"{root}/{vm.name}/Resource", base),
            "name": lit(vm.name),
            "description": lit(
                spec.description
                if spec.description is not None
                else f"{name}/{vm.name} (managed by fleetform)"
            ),
            "tags": [lit(t) for t in spec.tags] or [""],
            "vcpu": spec.cpu,
            "memory": spec.memory // (1024 * 1024),
            "affinity_strategy": {},
        }
        clone: dict[str, Any] = {"source_vm_uuid": f"${{data.hypercore_vms.{template}.vms[0].uuid}}"}
        init = spec.cloud_init_data
        if init is not None and init.user_data is not None:
            clone["user_data"] = lit(init.user_data)
        if init is not None and init.meta_data is not None:
            clone["meta_data"] = lit(init.meta_data)
        machine["clone"] = clone
        res.setdefault("hypercore_vm", {})[base] = machine
        after = []
        boot = []
        for device in spec.storage_devices:
            if device.type != "virtio_disk" or device.capacity is None:
                raise SystemExit("lower bound: only sized virtio disks are supported")
            key = lid(base, device.name)
            disk: dict[str, Any] = {
                "//": meta(f"{root}/{vm.name}/Disk-{device.name}", key),
                "vm_uuid": ref,
                "type": "VIRTIO_DISK",
                "size": size_gb(device.capacity),
            }
            if device.source is not None:
                disk["source_virtual_disk_id"] = f"${{{kinds[device.source]}.{lid(device.source)}.id}}"
            if device.boot is None and not vm.settings.allow_data_loss:
                disk["lifecycle"] = {"prevent_destroy": True}
            else:
                boot.append((device.boot, f"${{hypercore_disk.{key}.id}}"))
            res.setdefault("hypercore_disk", {})[key] = disk
            after.append((device.name, f"hypercore_disk.{key}"))
        nics = []
        seen: dict[str, int] = {}
        for device in spec.network_devices:
            seen[device.name] = seen.get(device.name, 0) + 1
            nic_key = device.name if seen[device.name] == 1 else f"{device.name}__{seen[device.name]}"
            key = lid(vm.name, nic_key)
            res.setdefault("hypercore_nic", {})[key] = {
                "//": meta(f"{root}/{vm.name}/Nic-{nic_key}", key),
                "vm_uuid": ref,
                "type": "VIRTIO",
                "vlan": networks[device.name],
            }
            nics.append((nic_key, key))
        depends = [a for _, a in sorted(after)] + [f"hypercore_nic.{k}" for _, k in sorted(nics)]
        devices = [d for _, d in sorted((b, d) for b, d in boot if b is not None)]
        devices += [f"${{hypercore_nic.{k}.id}}" for _, k in sorted(nics)]
        if devices:
            res.setdefault("hypercore_vm_boot_order", {})[base] = {
                "//": meta(f"{root}/{vm.name}/BootOrder", base),
                "vm_uuid": ref,
                "boot_devices": devices,
            }
            depends.append(f"hypercore_vm_boot_order.{base}")
        power: dict[str, Any] = {
            "//": meta(f"{root}/{vm.name}/PowerState", base),
            "vm_uuid": ref,
            "state": spec.state.upper(),
        }
        if depends:
            power["depends_on"] = depends
        res.setdefault("hypercore_vm_power_state", {})[base] = power
    suffix = re.sub(r"[^a-z0-9]", "_", cluster.name.lower())
    user, password = f"hc_username_{suffix}", f"hc_password_{suffix}"
    return {
        "//": {
            "metadata": {"backend": "local", "stackName": stack, "version": CDKTF_VERSION},
            "outputs": {stack: {ORIGIN_OUTPUT: ORIGIN_OUTPUT}},
        },
        "data": data,
        "output": {
            ORIGIN_OUTPUT: {
                "description": "The manifest this stack was deployed from (fleetform records it to find orphans).",
                "value": origin,
            }
        },
        "provider": {
            "hypercore": [
                {"host": cluster.host, "password": f"${{var.{password}}}", "username": f"${{var.{user}}}"}
            ]
        },
        "resource": res,
        "terraform": {
            "backend": {"local": {"path": state}},
            "required_providers": {"hypercore": {"source": "scalecomputing/hypercore", "version": "~> 1.4"}},
        },
        "variable": {
            var: {
                "description": f"{what} for HyperCore cluster '{cluster.name}' (set TF_VAR_{var})",
                "sensitive": True,
                "type": "string",
            }
            for var, what in ((user, "Username"), (password, "Password"))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", "-c", type=Path, required=True)
    parser.add_argument("--manifests", "-m", type=Path, required=True)
    parser.add_argument("--out", "-o", type=Path, required=True)
    args = parser.parse_args()
    loader = yaml.CSafeLoader
    site = SiteConfig.model_validate(yaml.load(args.config.read_text(), Loader=loader))
    if site.state.backend != "local" or not site.clusters:
        raise SystemExit("lower bound: the benchmark fleets use clusters and local state")
    state_dir = (args.config.resolve().parent / site.state.dir).resolve()
    out = args.out.resolve()
    for path in sorted(args.manifests.glob("*.yaml")):
        app = Application.model_validate(yaml.load(path.read_text(), Loader=loader))
        errors = [f for f in check_application(app) if f.severity == "error"]
        if errors:
            raise SystemExit(f"{path}: {errors[0].message}")
        labels = set(app.metadata.labels)
        for cluster in site.clusters:
            if not set(cluster.selector) <= labels:
                continue
            networks = {**site.networks, **cluster.networks}
            stack = f"{app.metadata.name}--{cluster.name}"
            directory = out / "stacks" / stack
            state = os.path.relpath(state_dir / f"{stack}.tfstate", directory)
            directory.mkdir(parents=True, exist_ok=True)
            text = json.dumps(
                stack_json(app, stack, cluster, site, networks, state, origin_of(path)),
                indent=2,
                sort_keys=True,
            )
            (directory / "cdk.tf.json").write_text(text)


if __name__ == "__main__":
    main()
