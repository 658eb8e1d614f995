"""Pydantic models of the Fleet Manager Application manifest, version 1.0.0, and its cross-field checks.

Field names are the YAML's own spelling. The models accept what the documentation writes (the seed examples),
which is a little more than Fleet Manager's published JSON schema allows (colons in tags, ``http://`` and
``file://`` asset URLs, sizes with units); :mod:`fleetform.manifest.strict` reports those differences on
request. They refuse what the HyperCore provider cannot express: memory that is not a whole MiB, tags with
commas (HyperCore stores a VM's tags as one comma-joined string).

Field-level rules are pydantic validators; rules that need several fields (names referring to each other,
uniqueness) are in :func:`check_application`, which returns findings with the node path they are about.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from fleetform.manifest.schedule import frequency_problem, parse_duration, parse_start
from fleetform.manifest.units import MiB, format_size, parse_size
from fleetform.yamlsrc import NodePath, did_you_mean, field_error

MachineType = Literal["bios", "uefi", "tpm"]
PowerState = Literal["running", "shutoff"]
AssetFormat = Literal["raw", "qcow2", "iso"]
StorageType = Literal["virtio_disk", "ide_cdrom"]
URL_SCHEMES = ("https://", "http://", "file://")

# What parse_size accepts, for editors (units are case-insensitive; one-letter units are refused).
SIZE_PATTERN = r"^\s*\d+(\.\d+)?\s*([KkMmGgTtPpEe][Ii][Bb]?|[KkMmGgTtPpEe][Bb]|[Bb])?\s*$"
_SIZE_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": SIZE_PATTERN},
    ]
}
# What parse_duration accepts, for editors (the exact units are checked by fleetform validate).
DURATION_PATTERN = r"^\s*\d+\s*[A-Za-z]*\s*$"
_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": DURATION_PATTERN},
    ]
}
_START_SCHEMA = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"}


# --- field validators ------------------------------------------------------------------------------


def _size(value: Any) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise field_error(str(exc)) from None


def _positive_size(value: int) -> int:
    if value <= 0:
        raise field_error(f"a size must be more than 0 bytes, not {value}", 'e.g. "10GiB" or 10737418240')
    return value


def _whole_mib(value: int) -> int:
    if value % MiB:
        lower, upper = value // MiB * MiB, (value // MiB + 1) * MiB
        suggestions = f'"{upper}" ({format_size(upper)})'
        if lower > 0:
            suggestions = f'"{lower}" ({format_size(lower)}) or ' + suggestions
        raise field_error(
            f"{value} bytes is not a whole number of MiB; HyperCore sets memory in MiB",
            f"use {suggestions}",
        )
    return value


def _duration(value: Any) -> int:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise field_error(str(exc)) from None


def _positive_duration(value: int) -> int:
    if value <= 0:
        raise field_error("a retention must be longer than 0 seconds", "e.g. 7d")
    return value


def _start(value: Any) -> str:
    try:
        return parse_start(value)
    except ValueError as exc:
        raise field_error(str(exc), 'e.g. start: "2025-01-01 02:00:00" (2 a.m. cluster time)') from None


def _frequency(value: str) -> str:
    problem = frequency_problem(value)
    if problem:
        raise field_error(
            f"frequency {value!r} is not an RFC 2445 recurrence rule: {problem}",
            "e.g. FREQ=DAILY;INTERVAL=1 (nightly), FREQ=HOURLY;INTERVAL=4, FREQ=WEEKLY;BYDAY=SU",
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise field_error("must not be empty", "give it a name")
    return value


def _tag(value: str) -> str:
    if not value.strip():
        raise field_error("a tag must not be empty", "remove the empty item")
    if "," in value:
        raise field_error(
            f"tag {value!r} contains a comma; HyperCore stores a VM's tags as one comma-joined string, "
            "so it would come back as several tags",
            "split it into separate tags",
        )
    return value


def _label(value: str) -> str:
    if not value.strip():
        raise field_error("a label must not be empty", "remove the empty item")
    if "," in value:
        raise field_error(
            f"label {value!r} contains a comma; labels become HyperCore tags, stored comma-joined",
            "split it into separate labels",
        )
    return value


def _url(value: str) -> str:
    if not value.startswith(URL_SCHEMES):
        raise field_error(
            f"asset URL {value!r} must start with https://, http:// or file://",
            "e.g. https://images.example.com/ubuntu-22.04.img, or file:///srv/images/ubuntu.img",
        )
    return value


Size = Annotated[
    int,
    BeforeValidator(_size),
    AfterValidator(_positive_size),
    WithJsonSchema(_SIZE_SCHEMA, mode="validation"),
]
Memory = Annotated[
    int,
    BeforeValidator(_size),
    AfterValidator(_positive_size),
    AfterValidator(_whole_mib),
    WithJsonSchema(_SIZE_SCHEMA, mode="validation"),
]
Name = Annotated[str, Field(strict=True), AfterValidator(_not_blank)]
Duration = Annotated[int, BeforeValidator(_duration), WithJsonSchema(_DURATION_SCHEMA, mode="validation")]
Retention = Annotated[
    int,
    BeforeValidator(_duration),
    AfterValidator(_positive_duration),
    WithJsonSchema(_DURATION_SCHEMA, mode="validation"),
]
Start = Annotated[str, BeforeValidator(_start), WithJsonSchema(_START_SCHEMA, mode="validation")]
Frequency = Annotated[str, Field(strict=True), AfterValidator(_frequency)]
Tag = Annotated[str, Field(strict=True), AfterValidator(_tag)]
Label = Annotated[str, Field(strict=True), AfterValidator(_label)]
Url = Annotated[str, Field(strict=True), AfterValidator(_url)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=False)


# --- the manifest ----------------------------------------------------------------------------------


class Metadata(_Model):
    """The application's name and labels."""

    name: Name = Field(
        description="Application name, unique among the manifests read together (one Terraform stack each).",
        examples=["three-tier-webapp"],
    )
    labels: list[Label] = Field(
        default_factory=list,
        description="Free-form labels such as `environment:production`. No commas. Default: none.",
        examples=[["environment:production"]],
    )


class Asset(_Model):
    """A disk image or ISO, downloaded from a URL and uploaded to HyperCore once per application."""

    name: Name = Field(
        description="Asset name that storage devices refer to in `source`.", examples=["ubuntu-22"]
    )
    type: Literal["virtual_disk"] = Field(
        description="Asset type; only `virtual_disk`.", examples=["virtual_disk"]
    )
    format: AssetFormat = Field(
        description="Image format: `raw`, `qcow2` or `iso` (an ISO attaches as an `ide_cdrom`).",
        examples=["raw"],
    )
    url: Url = Field(
        description="Where the image is downloaded from: https://, http:// or file:// (air-gapped sites). "
        "fleetform.yaml `images:` can mirror it to a local file.",
        examples=["https://storage.googleapis.com/demo-bucket/ubuntu-22.04-web.img"],
    )


class StorageDevice(_Model):
    """A disk or CD-ROM drive of a VM."""

    name: Name = Field(description="Device name, unique within the VM.", examples=["system-disk"])
    type: StorageType = Field(
        description="`virtio_disk` (a disk) or `ide_cdrom` (a CD-ROM drive, for `iso` assets).",
        examples=["virtio_disk"],
    )
    source: Name | None = Field(
        default=None,
        description="Name of an asset to copy onto this device. Default: none (an empty disk or drive).",
        examples=["ubuntu-22"],
    )
    capacity: Size | None = Field(
        default=None,
        description="Disk size in bytes: an integer, a digit string, or a size with a unit such as `50GiB` "
        "or `500GB`. Must be at least the image's size when `source` is set. Default: the image's size.",
        examples=[53687091200],
    )
    boot: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        default=None,
        description="Boot order, 1 = first. Devices without it do not boot. Default: none.",
        examples=[1],
    )


class NetworkDevice(_Model):
    """A network interface; `name` is a network from fleetform.yaml `networks:` (which gives its VLAN)."""

    name: Name = Field(description="Network name; fleetform.yaml maps it to a VLAN id.", examples=["web-net"])
    type: Literal["virtio"] = Field(description="NIC model; only `virtio`.", examples=["virtio"])


class CloudInitData(_Model):
    """cloud-init data handed to the VM when it is cloned from its machine type's template."""

    user_data: Annotated[str, Field(strict=True)] | None = Field(
        default=None,
        description="cloud-init user data, kept byte for byte. Default: none.",
        examples=["#cloud-config\n"],
    )
    meta_data: Annotated[str, Field(strict=True)] | None = Field(
        default=None,
        description="cloud-init meta data, kept byte for byte. Default: none.",
        examples=["instance-id: web-01\nlocal-hostname: web-01\n"],
    )


class VmSpec(_Model):
    """A VM's size, firmware, devices, tags and power state."""

    description: Annotated[str, Field(strict=True)] | None = Field(
        default=None,
        description="Human-readable description. Default: `<application>/<vm> (managed by fleetform)`. An empty "
        "one on a cloned VM draws a warning: the provider leaves it out when it creates the VM, so the clone "
        "keeps its template's until the next apply.",
        examples=["Web server"],
    )
    cpu: Annotated[int, Field(strict=True, ge=1)] = Field(description="Number of virtual CPUs.", examples=[2])
    memory: Memory = Field(
        description="Memory in bytes: an integer, a digit string, or a size such as `8GiB`; a whole number "
        "of MiB.",
        examples=["4294967296"],
    )
    machine_type: MachineType = Field(
        description="Firmware: `bios`, `uefi` or `tpm` (UEFI with a virtual TPM). Chooses the template VM "
        "(fleetform.yaml `templates:`).",
        examples=["uefi"],
    )
    state: PowerState = Field(
        description="Desired power state: `running` or `shutoff`.", examples=["running"]
    )
    storage_devices: list[StorageDevice] = Field(
        default_factory=list, description="Disks and CD-ROM drives. Default: none."
    )
    network_devices: list[NetworkDevice] = Field(
        default_factory=list, description="Network interfaces, in order. Default: none."
    )
    tags: list[Tag] = Field(
        default_factory=list,
        description="HyperCore tags. No commas (HyperCore joins tags with commas). Default: none.",
        examples=[["tier:web"]],
    )
    cloud_init_data: CloudInitData | None = Field(
        default=None, description="cloud-init user and meta data. Default: none."
    )


class HealthSettings(_Model):
    """What the health gate of ``fleetform rollout`` waits for after a wave applied a VM (besides its power
    state, which is always checked)."""

    guest_ip: Annotated[bool, Field(strict=True)] | None = Field(
        default=None,
        description="Wait until the running VM's guest reports an IP address on a NIC (HyperCore shows the "
        "addresses the guest agent reports): a VM that never does fails the gate. Default: the application's "
        "`x-fleetform.health.guest_ip`, else false.",
        examples=[True],
    )


class FleetformSettings(_Model):
    """fleetform's own settings for a VM, under the extension key ``x-fleetform`` (not sent to HyperCore)."""

    replicas: Annotated[int, Field(strict=True, ge=1, le=999)] = Field(
        default=1,
        description="Copies of this VM; their names must use `{{ instance_id }}` (01, 02, ...). May be a "
        'template such as `"{{ web_replicas }}"`. Scaling up adds the new copies and touches nothing else; '
        "scaling down removes the last ones. Default: 1.",
        examples=[3],
    )
    depends_on: list[Name] = Field(
        default_factory=list,
        description="VMs (as the manifest names them, templates included) that must be powered on before "
        "this one. Default: none.",
        examples=[["db-tier-primary"]],
    )
    allow_data_loss: Annotated[bool, Field(strict=True)] = Field(
        default=False,
        description="Let a plan destroy or replace this VM's data disks (disks without `boot`). Default: "
        "false: such a plan fails.",
    )
    snapshot_schedule: Name | Literal[False] | None = Field(
        default=None,
        description="The snapshot schedule (a name under the top-level `x-fleetform.snapshot_schedules`) "
        "that takes this VM's automatic snapshots, or `false` for none. Default: the application's "
        "`x-fleetform.snapshot_schedule`, if any.",
        examples=["nightly"],
    )
    health: HealthSettings | None = Field(
        default=None,
        description="What `fleetform rollout`'s health gate waits for on this VM. Default: the application's.",
    )


class VirDomain(_Model):
    """One VM of the application."""

    type: Literal["virdomain"] = Field(
        description="Resource type; only `virdomain` (a VM).", examples=["virdomain"]
    )
    name: Name = Field(
        description="VM name. HyperCore needs VM names to be unique on the cluster.", examples=["web-01"]
    )
    spec: VmSpec = Field(description="The VM's size, devices and state.")
    fleetform: FleetformSettings | None = Field(
        default=None,
        alias="x-fleetform",
        description="fleetform's extension key: replicas, startup order, data protection, snapshot schedule, "
        "rollout health. Default: none.",
    )

    @property
    def settings(self) -> FleetformSettings:
        """The VM's fleetform settings (defaults when the manifest gives none)."""
        return self.fleetform or FleetformSettings()


class SnapshotRule(_Model):
    """When a snapshot schedule takes snapshots, and how long they are kept."""

    name: Name = Field(description="Rule name, unique within the schedule.", examples=["nightly"])
    start: Start = Field(
        description="When the rule starts, in the cluster's local time: `YYYY-MM-DD HH:MM:SS` (quote it). "
        "The time of day is when each snapshot is taken.",
        examples=["2025-01-01 02:00:00"],
    )
    frequency: Frequency = Field(
        description="How often, as an RFC 2445 recurrence rule in upper case: `FREQ=DAILY;INTERVAL=1` "
        "(nightly), `FREQ=HOURLY;INTERVAL=4`, `FREQ=WEEKLY;BYDAY=SU`.",
        examples=["FREQ=DAILY;INTERVAL=1"],
    )
    local_retention: Retention = Field(
        description="How long each snapshot is kept on this cluster: seconds, or a number with a unit "
        "(`s`, `min`, `h`, `d`, `w`), e.g. `7d`.",
        examples=["7d"],
    )
    remote_retention: Duration | None = Field(
        default=None,
        description="How long a replicated snapshot is kept on the remote cluster, in the same units. "
        "Default: the local retention (as the provider documents it; fleetform sends it explicitly).",
        examples=["30d"],
    )


class SnapshotSchedule(_Model):
    """A HyperCore snapshot schedule of the application, named `<application>-<name>` on the cluster."""

    name: Name = Field(
        description="Schedule name that VMs refer to in `x-fleetform.snapshot_schedule`.",
        examples=["nightly"],
    )
    rules: list[SnapshotRule] = Field(
        min_length=1, description="When snapshots are taken; at least one rule."
    )


class ApplicationSettings(_Model):
    """fleetform's own settings for the whole application, under the top-level extension key ``x-fleetform``
    (not part of Fleet Manager's format)."""

    snapshot_schedules: list[SnapshotSchedule] = Field(
        default_factory=list,
        description="Snapshot schedules the application's VMs can use. Default: none.",
    )
    snapshot_schedule: Name | None = Field(
        default=None,
        description="The schedule every VM uses unless its own `x-fleetform.snapshot_schedule` says "
        "otherwise. Default: none.",
        examples=["nightly"],
    )
    health: HealthSettings | None = Field(
        default=None,
        description="What `fleetform rollout`'s health gate waits for on every VM of the application (a VM's "
        "own `x-fleetform.health` wins). Default: its power state only.",
    )


class ApplicationSpec(_Model):
    """The application's assets and VMs."""

    assets: list[Asset] = Field(
        default_factory=list, description="Images the VMs' disks copy. Default: none."
    )
    resources: list[VirDomain] = Field(min_length=1, description="The VMs; at least one.")


class Application(_Model):
    """A Fleet Manager Application manifest (version 1.0.0): one or more VMs deployed together."""

    type: Literal["Application"] = Field(
        description="Document type; only `Application`.", examples=["Application"]
    )
    version: Literal["1.0.0"] = Field(
        description='Manifest format version; only "1.0.0" (a string).', examples=["1.0.0"]
    )
    metadata: Metadata = Field(description="The application's name and labels.")
    spec: ApplicationSpec = Field(description="The application's assets and VMs.")
    fleetform: ApplicationSettings | None = Field(
        default=None,
        alias="x-fleetform",
        description="fleetform's extension key for the whole application: snapshot schedules, rollout "
        "health. Default: none.",
    )

    @property
    def settings(self) -> ApplicationSettings:
        """The application's fleetform settings (defaults when the manifest gives none)."""
        return self.fleetform or ApplicationSettings()

    def snapshot_schedule_of(self, vm: VirDomain) -> str | None:
        """The name of the snapshot schedule ``vm`` uses (its own, else the application's), or None."""
        own = vm.settings.snapshot_schedule
        if own is False:
            return None
        return own if own is not None else self.settings.snapshot_schedule

    def waits_for_guest_ip(self, vm: VirDomain) -> bool:
        """Whether the rollout's health gate waits for ``vm`` to report a guest IP address."""
        own = vm.settings.health.guest_ip if vm.settings.health else None
        if own is not None:
            return own
        app = self.settings.health
        return bool(app and app.guest_ip)


# --- cross-field checks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A problem found by :func:`check_application`; ``first`` is the earlier twin of a duplicate."""

    path: NodePath
    message: str
    hint: str = ""
    severity: str = "error"
    first: NodePath | None = None


def check_application(app: Application) -> list[Finding]:
    """Rules that span several fields: unique names, asset references, boot indexes, empty devices.

    Linear in the size of the application.
    """
    findings: list[Finding] = []
    assets: dict[str, tuple[int, Asset]] = {}
    for index, asset in enumerate(app.spec.assets):
        if asset.name in assets:
            first = ("spec", "assets", assets[asset.name][0], "name")
            message = f"duplicate asset name '{asset.name}'"
            findings.append(
                Finding(("spec", "assets", index, "name"), message, "rename one of them", first=first)
            )
        else:
            assets[asset.name] = (index, asset)

    used: set[str] = set()
    vm_names: dict[str, int] = {}
    for index, vm in enumerate(app.spec.resources):
        at: NodePath = ("spec", "resources", index)
        if vm.name in vm_names:
            first = ("spec", "resources", vm_names[vm.name], "name")
            findings.append(
                Finding(
                    (*at, "name"),
                    f"duplicate VM name '{vm.name}'",
                    "rename one of them: HyperCore finds VMs by name, so names must be unique",
                    first=first,
                )
            )
        else:
            vm_names[vm.name] = index
        findings.extend(_check_devices(vm, at, assets, used))

    findings.extend(_check_schedules(app))
    for name, (index, _) in assets.items():
        if name not in used:
            findings.append(
                Finding(
                    ("spec", "assets", index, "name"),
                    f"asset '{name}' is not used by any storage device; it would be uploaded for nothing",
                    "remove it, or refer to it with source: on a storage device",
                    severity="warning",
                )
            )
    return findings


def _check_devices(
    vm: VirDomain, at: NodePath, assets: dict[str, tuple[int, Asset]], used: set[str]
) -> list[Finding]:
    findings: list[Finding] = []
    names: dict[str, int] = {}
    boots: dict[int, list[int]] = defaultdict(list)
    for d, device in enumerate(vm.spec.storage_devices):
        dev: NodePath = (*at, "spec", "storage_devices", d)
        if device.name in names:
            findings.append(
                Finding(
                    (*dev, "name"),
                    f"duplicate storage device name '{device.name}' in VM '{vm.name}'",
                    "rename one of them",
                    first=(*at, "spec", "storage_devices", names[device.name], "name"),
                )
            )
        else:
            names[device.name] = d
        if device.boot is not None:
            boots[device.boot].append(d)
        if device.source is None:
            if device.capacity is None and device.type == "virtio_disk":
                findings.append(
                    Finding(
                        dev,
                        f"storage device '{device.name}' has neither a source nor a capacity",
                        "add a capacity for an empty disk, e.g. capacity: 50GiB, or source: <asset name>",
                    )
                )
            continue
        used.add(device.source)
        found = assets.get(device.source)
        if found is None:
            guess = did_you_mean(device.source, assets)
            message = (
                f"storage device '{device.name}' refers to asset '{device.source}', which is not defined"
            )
            if guess:
                message += f"; did you mean '{guess}'?"
            hint = (
                f"defined assets: {', '.join(assets)}"
                if assets
                else "this application defines no assets; add one under spec.assets"
            )
            findings.append(Finding((*dev, "source"), message, hint))
            continue
        asset = found[1]
        if device.type == "virtio_disk" and asset.format == "iso":
            findings.append(
                Finding(
                    (*dev, "type"),
                    f"virtio_disk '{device.name}' is sourced from ISO asset '{asset.name}'",
                    "an ISO attaches as a CD-ROM drive: use type: ide_cdrom",
                )
            )
        elif device.type == "ide_cdrom" and asset.format != "iso":
            findings.append(
                Finding(
                    (*dev, "type"),
                    f"ide_cdrom '{device.name}' is sourced from {asset.format} asset '{asset.name}'; "
                    "a CD-ROM drive takes an iso asset",
                    "use type: virtio_disk for a disk image, or an asset with format: iso",
                )
            )
    for boot, devices in boots.items():
        for d in devices[1:]:
            findings.append(
                Finding(
                    (*at, "spec", "storage_devices", d, "boot"),
                    f"boot index {boot} of '{vm.spec.storage_devices[d].name}' is already used by "
                    f"'{vm.spec.storage_devices[devices[0]].name}' in VM '{vm.name}'",
                    "give each boot device its own index: 1 boots first, then 2, ...",
                    first=(*at, "spec", "storage_devices", devices[0], "boot"),
                )
            )
    return findings


def _check_schedules(app: Application) -> list[Finding]:
    """Schedule and rule names are unique, VMs name schedules that exist, and every schedule is used."""
    findings: list[Finding] = []
    at: NodePath = ("x-fleetform", "snapshot_schedules")
    schedules: dict[str, int] = {}
    for index, schedule in enumerate(app.settings.snapshot_schedules):
        if schedule.name in schedules:
            findings.append(
                Finding(
                    (*at, index, "name"),
                    f"duplicate snapshot schedule name '{schedule.name}'",
                    "rename one of them",
                    first=(*at, schedules[schedule.name], "name"),
                )
            )
        else:
            schedules[schedule.name] = index
        rules: dict[str, int] = {}
        for r, rule in enumerate(schedule.rules):
            if rule.name in rules:
                findings.append(
                    Finding(
                        (*at, index, "rules", r, "name"),
                        f"duplicate rule name '{rule.name}' in snapshot schedule '{schedule.name}'",
                        "rename one of them",
                        first=(*at, index, "rules", rules[rule.name], "name"),
                    )
                )
            else:
                rules[rule.name] = r

    def unknown(name: str, path: NodePath) -> Finding:
        message = f"snapshot schedule '{name}' is not defined"
        guess = did_you_mean(name, schedules)
        if guess:
            message += f"; did you mean '{guess}'?"
        hint = (
            f"defined schedules: {', '.join(schedules)}"
            if schedules
            else "define it under the top-level x-fleetform: snapshot_schedules:"
        )
        return Finding(path, message, hint)

    default = app.settings.snapshot_schedule
    if default is not None and default not in schedules:
        findings.append(unknown(default, ("x-fleetform", "snapshot_schedule")))
    used: set[str] = set()
    for index, vm in enumerate(app.spec.resources):
        own = vm.settings.snapshot_schedule
        if isinstance(own, str) and own not in schedules:
            findings.append(unknown(own, ("spec", "resources", index, "x-fleetform", "snapshot_schedule")))
        chosen = app.snapshot_schedule_of(vm)
        if chosen is not None:
            used.add(chosen)
    for name, index in schedules.items():
        if name not in used:
            findings.append(
                Finding(
                    (*at, index, "name"),
                    f"snapshot schedule '{name}' is used by no VM; it would be created for nothing",
                    "set x-fleetform: {snapshot_schedule: "
                    + name
                    + "} on a VM, or for the whole application "
                    "at the top level, or remove it",
                    severity="warning",
                )
            )
    return findings


def startup_order(
    app: Application, raw: Any, origins: dict[int, int]
) -> tuple[list[Finding], dict[str, list[str]]]:
    """Resolve ``x-fleetform.depends_on``: VM -> the VMs powered on before it; findings for unknown names,
    self-references and cycles.

    A name is matched first against the VM names as the manifest writes them (so a replicated VM's template
    name means every copy), then against the rendered names.
    """
    resources = app.spec.resources
    written: dict[str, list[str]] = defaultdict(list)
    raw_resources = raw.get("spec", {}).get("resources", []) if isinstance(raw, dict) else []
    for index, vm in enumerate(resources):
        origin = origins.get(index, index)
        raw_vm = raw_resources[origin] if origin < len(raw_resources) else None
        raw_name = raw_vm.get("name") if isinstance(raw_vm, dict) else None
        if isinstance(raw_name, str) and raw_name != vm.name:
            written[raw_name].append(vm.name)
    rendered = {vm.name for vm in resources}
    findings: list[Finding] = []
    order: dict[str, list[str]] = {}
    for index, vm in enumerate(resources):
        wanted: list[str] = []
        for d, name in enumerate(vm.settings.depends_on):
            at: NodePath = ("spec", "resources", index, "x-fleetform", "depends_on", d)
            targets = written.get(name) or ([name] if name in rendered else [])
            if not targets:
                guess = did_you_mean(name, [*rendered, *written])
                message = f"VM '{vm.name}' depends on '{name}', which is not a VM of this application"
                findings.append(
                    Finding(
                        at,
                        message + (f"; did you mean '{guess}'?" if guess else ""),
                        "name a VM of spec.resources",
                    )
                )
            elif vm.name in targets:
                findings.append(Finding(at, f"VM '{vm.name}' depends on itself", "remove it from depends_on"))
            else:
                wanted += [t for t in targets if t not in wanted]
        if wanted:
            order[vm.name] = wanted
    cycle = _cycle(order)
    if cycle:
        index = next(i for i, vm in enumerate(resources) if vm.name == cycle[0])
        findings.append(
            Finding(
                ("spec", "resources", index, "x-fleetform", "depends_on"),
                "startup order has a cycle: " + " -> ".join([*cycle, cycle[0]]),
                "remove one of these depends_on entries",
            )
        )
    return findings, order


def _cycle(order: dict[str, list[str]]) -> list[str]:
    """One cycle in the dependency graph (its VMs in order), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in order.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(order):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []
