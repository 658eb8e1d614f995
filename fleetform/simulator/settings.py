"""The simulator's options, and how command-line values and a site file become them.

Both command lines (``fleetform simulator serve`` and ``python -m fleetform.simulator``) build
:class:`Settings` through :func:`settings_from_options`, which raises :class:`ConfigError` with a one-line
message for anything unusable. The site file is fleetform's ``fleetform.yaml``; only its ``templates:`` and
``networks:`` sections are read, with PyYAML (the simulator does not use fleetform's own config code).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleetform.simulator.errors import ConfigError
from fleetform.simulator.models import DEFAULT_TASK_SECONDS, MACHINE_TYPES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"
MAX_NODES = 8


@dataclass
class Settings:
    """Everything a simulator run is configured with. Defaults: an empty one-node cluster, tasks that take
    ``DEFAULT_TASK_SECONDS``, busy VMs answering HTTP 500."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    """0 picks a free port."""
    data_dir: Path | None = None
    """The SQLite file and image files; ``None``: a temporary directory, deleted when the server stops."""
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    task_seconds: float = DEFAULT_TASK_SECONDS
    """How long tasks stay QUEUED/RUNNING (0: done at once)."""
    shutdown_seconds: float = 0.0
    busy_vms: bool = True
    """HyperCore's HTTP 500 to a second task on a VM whose task is still running (off: accept it)."""
    nodes: int = 1
    templates: dict[str, str] = field(default_factory=dict)
    """machineTypeKeyword (bios, uefi, tpm) -> name of an empty template VM to seed."""
    vlans: dict[int, str] = field(default_factory=dict)
    """VLAN id -> network name to seed."""
    faults: list[dict[str, Any]] = field(default_factory=list)
    """Faults active from the start, as ``POST /admin/faults`` bodies."""
    guest_agent: bool = False
    access_log: bool = False
    tls: bool = False
    """Serve HTTPS with a certificate from the simulator's own CA (its file: ``<data>/tls/ca.pem``)."""
    port_file: Path | None = None
    """Where to write the port once the server listens (for scripts that start it with port 0)."""


def settings_from_options(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    data_dir: Path | None = None,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    task_seconds: float = DEFAULT_TASK_SECONDS,
    shutdown_seconds: float = 0.0,
    busy_vms: bool = True,
    nodes: int = 1,
    templates: list[str] | None = None,
    vlans: list[str] | None = None,
    site: Path | None = None,
    faults: list[str] | None = None,
    fail_tasks: int = 0,
    latency: float = 0.0,
    guest_agent: bool = False,
    access_log: bool = False,
    tls: bool = False,
    port_file: Path | None = None,
) -> Settings:
    """Settings from command-line values; ``templates`` as ``KIND=NAME``, ``vlans`` as ``ID`` or ``NAME=ID``,
    ``faults`` as JSON objects. The site file's templates and networks come first; options add to them."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port (0..65535)")
    if not 1 <= nodes <= MAX_NODES:
        raise ConfigError(f"--nodes {nodes} must be between 1 and {MAX_NODES}")
    if task_seconds < 0 or shutdown_seconds < 0 or latency < 0:
        raise ConfigError("--task-seconds, --shutdown-seconds and --latency cannot be negative")
    if not username or not password:
        raise ConfigError("--username and --password cannot be empty")
    site_templates, site_vlans = read_site(site) if site is not None else ({}, {})
    settings = Settings(
        host=host,
        port=port,
        data_dir=data_dir,
        username=username,
        password=password,
        task_seconds=task_seconds,
        shutdown_seconds=shutdown_seconds,
        busy_vms=busy_vms,
        nodes=nodes,
        templates={**site_templates, **dict(_template(text) for text in templates or [])},
        vlans={**site_vlans, **dict(_vlan(text) for text in vlans or [])},
        guest_agent=guest_agent,
        access_log=access_log,
        tls=tls,
        port_file=port_file,
    )
    for text in faults or []:
        settings.faults.append(_fault(text))
    if fail_tasks:
        settings.faults.append({"kind": "task_error", "times": fail_tasks})
    if latency:
        settings.faults.append({"kind": "latency", "seconds": latency, "path": "^/rest/v1/"})
    return settings


def read_site(path: Path) -> tuple[dict[str, str], dict[int, str]]:
    """The template VMs (kind -> name) and networks (VLAN -> name) a fleetform site file names."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the site file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"the site file {path} is not valid YAML: {_first_line(exc)}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"the site file {path} must be a YAML mapping")
    templates = document.get("templates") or {}
    networks = document.get("networks") or {}
    if not isinstance(templates, dict) or not isinstance(networks, dict):
        raise ConfigError(f"{path}: 'templates' and 'networks' must be mappings")
    found_templates = {}
    for kind, name in templates.items():
        found_templates[_kind(str(kind), f"{path}: templates")] = _name(name, f"{path}: templates.{kind}")
    found_vlans = {}
    for name, vlan in networks.items():
        found_vlans[_vlan_id(vlan, f"{path}: networks.{name}")] = str(name)
    return found_templates, found_vlans


def _template(text: str) -> tuple[str, str]:
    kind, sep, name = text.partition("=")
    if not sep:
        raise ConfigError(f"--template {text!r}: write KIND=NAME, e.g. bios=fleetform-template-bios")
    return _kind(kind.strip(), "--template"), _name(name.strip(), f"--template {text!r}")


def _vlan(text: str) -> tuple[int, str]:
    name, sep, vlan = text.rpartition("=")
    value = vlan.strip()
    if not value.isdigit():
        raise ConfigError(f"--vlan {text!r}: write a VLAN id (0..4094) or NAME=ID")
    number = _vlan_id(int(value), f"--vlan {text!r}")
    return number, name.strip() if sep else f"vlan{number}"


def _fault(text: str) -> dict[str, Any]:
    try:
        fault = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--fault {text!r} is not JSON: {exc.msg}") from None
    if not isinstance(fault, dict) or "kind" not in fault:
        raise ConfigError(
            f'--fault {text!r}: write a JSON object such as {{"kind": "task_error", "times": 2}}'
        )
    return fault


def _kind(kind: str, where: str) -> str:
    if kind not in MACHINE_TYPES:
        raise ConfigError(f"{where}: unknown machine type {kind!r}; use one of {', '.join(MACHINE_TYPES)}")
    return kind


def _name(name: object, where: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: the template VM name must be a non-empty string")
    return name


def _vlan_id(vlan: object, where: str) -> int:
    if isinstance(vlan, bool) or not isinstance(vlan, int) or not 0 <= vlan <= 4094:
        raise ConfigError(f"{where}: a VLAN id must be a whole number from 0 to 4094, not {vlan!r}")
    return vlan


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
