"""The site configuration, ``fleetform.yaml``: what manifests leave to the site.

Manifests name networks and machine types; the site says which VLAN a network is and which template VM to
clone for a machine type. It also mirrors asset images for air-gapped sites and says where Terraform state
lives.
Host and credentials never live here: they come from ``HC_HOST``, ``HC_USERNAME`` and ``HC_PASSWORD``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from fleetform.errors import ConfigError, InputError, Issue, Location
from fleetform.manifest.loader import LoadedManifest
from fleetform.manifest.model import MachineType
from fleetform.yamlsrc import YamlDocument, did_you_mean, issues_from_validation_error, parse_yaml

DEFAULT_PATH = Path("fleetform.yaml")
CREDENTIAL_KEYS = {
    "host": "HC_HOST",
    "hc_host": "HC_HOST",
    "username": "HC_USERNAME",
    "user": "HC_USERNAME",
    "hc_username": "HC_USERNAME",
    "password": "HC_PASSWORD",
    "hc_password": "HC_PASSWORD",
}
_URL_SCHEMES = ("https://", "http://", "file://")

VlanId = Annotated[int, Field(strict=True, ge=0, le=4094)]


class StateConfig(BaseModel):
    """Where Terraform keeps each application's state."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["local"] = Field(
        default="local", description='State backend; only "local" (one file per application). Default: local.'
    )
    dir: Annotated[str, Field(strict=True, min_length=1)] = Field(
        default="state",
        description="Directory of the state files, relative to fleetform.yaml. Default: state.",
    )


class SiteConfig(BaseModel):
    """``fleetform.yaml``: networks -> VLAN ids, machine types -> template VMs, the image mirror, state."""

    model_config = ConfigDict(extra="forbid")

    networks: dict[str, VlanId] = Field(
        default_factory=dict,
        description="Network name used in manifests' network_devices -> VLAN id (0..4094). Default: none.",
        examples=[{"web-net": 20}],
    )
    templates: dict[MachineType, Annotated[str, Field(strict=True, min_length=1)]] = Field(
        default_factory=dict,
        description="Machine type (bios, uefi, tpm) -> name of a template VM on the cluster to clone. "
        "Default: none.",
        examples=[{"uefi": "fleetform-template-uefi"}],
    )
    images: dict[str, Annotated[str, Field(strict=True, min_length=1)]] = Field(
        default_factory=dict,
        description="Image mirror: asset URL -> local file (relative to fleetform.yaml) or another URL. "
        "Default: none (download from the asset URL).",
    )
    state: StateConfig = Field(
        default_factory=StateConfig, description="Terraform state. Default: local, state/."
    )

    _source: Path | None = PrivateAttr(default=None)
    _doc: YamlDocument | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (None when built in code)."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """What relative paths are relative to: the config file's directory, else the working directory."""
        return self._source.parent if self._source is not None else Path.cwd()

    @property
    def state_dir(self) -> Path:
        """The directory of the state files."""
        return self.base_dir / self.state.dir

    def resolve_image(self, url: str) -> str:
        """Where to take an asset from: its mirror (a URL, or an absolute file path) or the URL itself."""
        mirrored = self.images.get(url)
        if mirrored is None:
            return url
        if mirrored.startswith(_URL_SCHEMES):
            return mirrored
        return str((self.base_dir / mirrored).resolve())

    def check(self, lm: LoadedManifest) -> list[Issue]:
        """Problems between a manifest and this site: networks and machine types the site does not define."""
        issues: list[Issue] = []
        for vm in lm.application.spec.resources:
            for index, nic in enumerate(vm.spec.network_devices):
                if nic.name not in self.networks:
                    issues.append(self._unknown_network(lm, vm.name, index, nic.name))
            machine_type = vm.spec.machine_type
            if machine_type not in self.templates:
                issues.append(
                    Issue(
                        lm.locate_field(vm.name, "machine_type"),
                        f"no template VM for machine type '{machine_type}'",
                        f"templates come from {self._name()}; add this line under templates: there:"
                        f"  {machine_type}: fleetform-template-{machine_type}"
                        "  (the name of a VM with that firmware on the cluster)",
                    )
                )
        return issues

    def _unknown_network(self, lm: LoadedManifest, vm: str, index: int, network: str) -> Issue:
        message = f"unknown network '{network}'"
        guess = did_you_mean(network, self.networks)
        if guess:
            message += f"; did you mean '{guess}'?"
        vlan = _free_vlan(self.networks.values())
        return Issue(
            lm.locate_nic(vm, index, "name"),
            message,
            f"networks come from {self._name()}; add this line under networks: there:  {network}: {vlan}"
            "  (with the network's real VLAN id)",
        )

    def _name(self) -> str:
        return self._doc.path if self._doc is not None else "fleetform.yaml"


def _free_vlan(used: Iterable[int]) -> int:
    """A VLAN id to suggest: the next multiple of ten above those in use, else any free one."""
    taken = set(used)
    start = (max(taken, default=0) // 10 + 1) * 10
    candidates = [*range(start, 4095, 10), *range(1, 4095)]
    return next((c for c in candidates if c not in taken), 0)


def parse_config(text: str, path: str | Path) -> SiteConfig:
    """Validate a site configuration given as text (``path`` names it in errors). Raises ConfigError."""
    name = str(path)
    try:
        doc = parse_yaml(text, name, keep_going=True)
    except InputError as exc:
        raise ConfigError(exc.issues) from None
    issues = list(doc.issues)
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError(
            [
                Issue(
                    doc.locate(()),
                    "the site configuration must be a mapping",
                    "see the fleetform.yaml example",
                )
            ]
        )
    data = dict(data)
    for key in list(data):
        variable = CREDENTIAL_KEYS.get(str(key).lower())
        if variable is not None:
            del data[key]
            issues.append(
                Issue(
                    doc.locate_key((key,)),
                    f"'{key}' does not belong in {name}: host and credentials come from the environment "
                    "(HC_HOST, HC_USERNAME, HC_PASSWORD), never from a file that is committed",
                    f"remove it and set {variable} in the environment",
                )
            )
    try:
        config = SiteConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        issues.extend(issues_from_validation_error(exc, doc, SiteConfig))
        raise ConfigError(issues) from None
    if issues:
        raise ConfigError(issues)
    config._source = Path(path).absolute()
    config._doc = doc
    return config


def load_config(path: str | Path | None = None) -> SiteConfig:
    """Read ``fleetform.yaml`` (default: the one in the working directory). Raises ConfigError."""
    config_path = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Issue(
                    Location(str(config_path)),
                    "site configuration not found",
                    "create fleetform.yaml with networks: and templates: sections, or pass --config PATH",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Issue(Location(str(config_path)), f"cannot read the file: {exc}")]) from None
    return parse_config(text, config_path)
