"""Terraform working directories: ``terraform init`` only when what it installs changed, and a marker of the
Terraform JSON that last planned without changes or was applied there (``fleetform plan --changed``)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

from fleetform.terraform.plans.common import now
from fleetform.terraform.runner import Terraform

# --- working directories: init once, and what was settled ------------------------------------------------

INIT_MARKER = Path(".terraform") / "fleetform-init.json"
SETTLED = ".fleetform-settled.json"
# Terraform's errors when a working directory needs `terraform init` (again).
NEEDS_INIT = re.compile(
    r"terraform init|Backend initialization required|Inconsistent dependency lock file|"
    r"Required plugins are not installed|Missing required provider|Module not installed|"
    r"Backend configuration changed"
)


def init_workdir(terraform: Terraform, workdir: Path, lock: threading.Lock | None, *, reuse: bool) -> bool:
    """``terraform init`` unless ``reuse`` and the working directory was initialized (by fleetform) for the same
    ``terraform`` block (backend, required providers), CLI configuration, plugin cache and binary. Returns
    True when init ran. Terraform itself refuses to plan in a directory whose backend or lock file no longer
    fits; the caller then runs init again."""
    fingerprint = _init_fingerprint(terraform, workdir)
    marker = workdir / INIT_MARKER
    if reuse and fingerprint is not None and (workdir / ".terraform.lock.hcl").is_file():
        try:
            if json.loads(marker.read_text(encoding="utf-8")).get("fingerprint") == fingerprint:
                return False
        except (OSError, ValueError, AttributeError):
            pass
    if lock is not None:
        with lock:
            terraform.init(workdir)
    else:
        terraform.init(workdir)
    if fingerprint is not None and marker.parent.is_dir():
        marker.write_text(json.dumps({"fingerprint": fingerprint}) + "\n", encoding="utf-8")
    return True


def _init_fingerprint(terraform: Terraform, workdir: Path) -> str | None:
    """What ``terraform init`` installed a working directory for; None when fleetform cannot tell."""
    env = terraform.env
    if env.get("TF_DATA_DIR"):
        return None
    digest = hashlib.sha256(f"{terraform.binary}\0{env.get('TF_PLUGIN_CACHE_DIR', '')}\0".encode())
    cli_config = env.get("TF_CLI_CONFIG_FILE") or env.get("TERRAFORM_CONFIG") or ""
    digest.update(cli_config.encode() + b"\0")
    try:
        if cli_config:
            digest.update(Path(cli_config).read_bytes())
        for path in sorted(workdir.glob("*.tf.json")):
            block = json.loads(path.read_text(encoding="utf-8")).get("terraform")
            digest.update(path.name.encode() + b"\0" + json.dumps(block, sort_keys=True).encode() + b"\0")
    except (OSError, ValueError, AttributeError):
        return None
    return "sha256:" + digest.hexdigest()


def settled_hash(workdir: Path) -> str | None:
    """The :func:`config_hash` of the Terraform JSON that last planned without changes in ``workdir``, or was
    last applied there; None when unknown, or when a plan since had changes or failed. ``--changed`` skips a
    stack whose JSON still has this hash: nothing fleetform manages changed since the cluster matched it (what
    changed on the cluster itself is ``fleetform drift``'s to find)."""
    try:
        value = json.loads((workdir / SETTLED).read_text(encoding="utf-8")).get("config_hash")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def settle(workdir: Path, hash_: str) -> None:
    if workdir.is_dir():
        (workdir / SETTLED).write_text(
            json.dumps({"config_hash": hash_, "at": now()}) + "\n", encoding="utf-8"
        )


def unsettle(workdir: Path) -> None:
    (workdir / SETTLED).unlink(missing_ok=True)
