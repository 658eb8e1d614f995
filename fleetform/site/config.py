"""The site configuration, ``fleetform.yaml``: what manifests leave to the site.

Manifests name networks and machine types; the site says which VLAN a network is and which template VM to
clone for a machine type. It also mirrors asset images for air-gapped sites and says where Terraform state
lives.
Host and credentials never live here: they come from ``HC_HOST``, ``HC_USERNAME`` and ``HC_PASSWORD``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from fleetform.errors import ConfigError, InputError, Issue, Location
from fleetform.manifest.loader import LoadedManifest
from fleetform.manifest.model import MachineType
from fleetform.site.waves import Label, RolloutConfig, rollout_issues
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
    """Where Terraform keeps each stack's state."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["local", "pg"] = Field(
        default="local",
        description='State backend: "local" (one file per stack under `dir`) or "pg" (PostgreSQL, one schema '
        "per stack, with Terraform's locking; the connection string comes from the PG_CONN_STR environment "
        "variable, never from this file). Default: local.",
    )
    dir: Annotated[str, Field(strict=True, min_length=1)] = Field(
        default="state",
        description="local: directory of the state files, relative to fleetform.yaml. Default: state.",
    )
    schema_prefix: Annotated[str, Field(strict=True, pattern=r"^[a-z_][a-z0-9_]*$")] = Field(
        default="fleetform_",
        description="pg: each stack's state lives in the schema <schema_prefix><stack> (non-alphanumerics as "
        "_). Default: fleetform_.",
    )


ClusterName = Annotated[str, Field(strict=True, pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
Variables = dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Any]


class ClusterConfig(BaseModel):
    """One target cluster: where it is, how its site names things, and which applications run there."""

    model_config = ConfigDict(extra="forbid")

    name: ClusterName = Field(
        description="Cluster name (lowercase letters, digits, '-'): stacks are <application>--<name>, and "
        "templates see it as {{ clusterName }}.",
        examples=["store-017"],
    )
    id: Annotated[str, Field(strict=True, min_length=1)] | None = Field(
        default=None,
        description="Fleet Manager's cluster id, {{ clusterId }} in templates. Default: the name.",
    )
    host: Annotated[str, Field(strict=True, pattern=r"^https?://[^\s/]+$")] | None = Field(
        default=None,
        description="The cluster's REST API base URL, e.g. https://10.0.5.11. Credentials never go here: "
        "they come from TF_VAR_hc_username_<name>/TF_VAR_hc_password_<name> (or HC_USERNAME_<NAME>/"
        "HC_PASSWORD_<NAME> with fleetform's commands). Default: HC_HOST.",
    )
    networks: dict[str, VlanId] = Field(
        default_factory=dict, description="Networks of this cluster (added to, and overriding, the site's)."
    )
    templates: dict[MachineType, Annotated[str, Field(strict=True, min_length=1)]] = Field(
        default_factory=dict,
        description="Template VMs of this cluster (added to, and overriding, the site's).",
    )
    images: dict[str, Annotated[str, Field(strict=True, min_length=1)]] = Field(
        default_factory=dict, description="Image mirror entries of this cluster (added to the site's)."
    )
    variables: Variables = Field(
        default_factory=dict, description="Template variables for every application on this cluster."
    )
    selector: list[Annotated[str, Field(strict=True, min_length=1)]] = Field(
        default_factory=list,
        description="Labels an application must all carry (metadata.labels, e.g. environment:production) to "
        "run on this cluster. Default: none, i.e. every application.",
        examples=[["environment:production"]],
    )
    labels: list[Label] = Field(
        default_factory=list,
        description="The cluster's own labels (no spaces or commas), which rollout waves pick clusters by, and "
        "`fleetform status --label` filters by. Default: none.",
        examples=[["canary", "region:eu"]],
    )

    def selects(self, labels: Iterable[str]) -> bool:
        """Whether an application with ``labels`` runs on this cluster."""
        present = set(labels)
        return all(label in present for label in self.selector)


class ApplicationSettings(BaseModel):
    """Site settings for one application (by its metadata.name as written)."""

    model_config = ConfigDict(extra="forbid")

    variables: Variables = Field(default_factory=dict, description="Template variables for this application.")


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
    variables: Variables = Field(
        default_factory=dict, description="Template variables for every application on every cluster."
    )
    applications: dict[str, ApplicationSettings] = Field(
        default_factory=dict, description="Settings per application, by metadata.name as written."
    )
    clusters: list[ClusterConfig] = Field(
        default_factory=list,
        description="Target clusters. Each (application, cluster) pair is one stack with its own provider "
        "configuration and state. Default: none: one implicit cluster from HC_HOST, stacks named after "
        "their application.",
    )
    rollout: RolloutConfig | None = Field(
        default=None,
        description="Staged rollouts (`fleetform rollout`): the waves a change goes through, by cluster labels "
        "and shares, with a cap on stacks applied at once, a failure budget and a health gate. Default: none.",
    )

    _source: Path | None = PrivateAttr(default=None)
    _doc: YamlDocument | None = PrivateAttr(default=None)
    _cluster: ClusterConfig | None = PrivateAttr(default=None)

    @property
    def cluster(self) -> ClusterConfig | None:
        """The cluster this view of the site is for (None: the site itself, or its implicit cluster)."""
        return self._cluster

    def targets(self) -> list[Target]:
        """Every cluster applications can run on; without ``clusters:`` the one implicit cluster."""
        if not self.clusters:
            return [Target(None, self)]
        return [Target(cluster, self.for_cluster(cluster)) for cluster in self.clusters]

    def for_cluster(self, cluster: ClusterConfig) -> SiteConfig:
        """The site as ``cluster`` sees it: its networks, templates and images over the site's."""
        view = self.model_copy(
            update={
                "networks": {**self.networks, **cluster.networks},
                "templates": {**self.templates, **cluster.templates},
                "images": {**self.images, **cluster.images},
            }
        )
        view._cluster = cluster
        return view

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
                        f"no template VM for machine type '{machine_type}'" + self._for_cluster(),
                        f"templates come from {self._name()}; add this line under {self._section('templates')} "
                        f"there:  {machine_type}: fleetform-template-{machine_type}"
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
            message + self._for_cluster(),
            f"networks come from {self._name()}; add this line under {self._section('networks')} there:  "
            f"{network}: {vlan}  (with the network's real VLAN id)",
        )

    def locate_template(self, machine_type: str) -> Location:
        """Where the template VM of ``machine_type`` is set: under the cluster's ``templates:`` when it sets it
        there, else the site's."""
        if self._doc is None:
            return Location("fleetform.yaml")
        if self._cluster is not None and machine_type in self._cluster.templates:
            index = next(i for i, c in enumerate(self.clusters) if c.name == self._cluster.name)
            return self._doc.locate(("clusters", index, "templates", machine_type))
        return self._doc.locate(("templates", machine_type))

    def _name(self) -> str:
        return self._doc.path if self._doc is not None else "fleetform.yaml"

    def _for_cluster(self) -> str:
        return f" on cluster '{self._cluster.name}'" if self._cluster is not None else ""

    def _section(self, key: str) -> str:
        if self._cluster is None:
            return f"{key}:"
        return f"{key}: (or under {key}: of cluster '{self._cluster.name}')"


@dataclass(frozen=True)
class Target:
    """A cluster an application can run on, and the site as that cluster sees it."""

    cluster: ClusterConfig | None
    """None: the single implicit cluster of a site without ``clusters:`` (HC_HOST)."""
    site: SiteConfig

    @property
    def name(self) -> str:
        """The cluster's name (``default`` for the implicit one)."""
        return self.cluster.name if self.cluster is not None else "default"

    @property
    def cluster_id(self) -> str:
        """Fleet Manager's id of the cluster (``{{ clusterId }}``)."""
        if self.cluster is None:
            return "default"
        return self.cluster.id or self.cluster.name

    def selects(self, labels: Iterable[str]) -> bool:
        """Whether an application with ``labels`` runs here."""
        return self.cluster is None or self.cluster.selects(labels)

    def stack_name(self, application: str) -> str:
        """The stack of ``application`` on this cluster: its name, or ``<application>--<cluster>``."""
        return application if self.cluster is None else f"{application}--{self.cluster.name}"

    def variables(self, raw_application_name: str | None) -> dict[str, Any]:
        """Template variables for an application here: site < application < cluster, then the built-ins."""
        settings = self.site.applications.get(raw_application_name or "")
        return {
            **self.site.variables,
            **(settings.variables if settings is not None else {}),
            **(self.cluster.variables if self.cluster is not None else {}),
            "clusterName": self.name,
            "clusterId": self.cluster_id,
        }


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
    credentials = ("username", "user", "password")
    clusters: list[Any] = list(data["clusters"]) if isinstance(data.get("clusters"), list) else []
    for index, cluster in enumerate(clusters):
        if not isinstance(cluster, dict):
            continue
        for key in [k for k in cluster if str(k).lower() in credentials]:
            issues.append(
                Issue(
                    doc.locate_key(("clusters", index, key)),
                    f"'{key}' does not belong in {name}: a cluster's credentials come from the environment, "
                    "never from a file that is committed",
                    "remove it; set TF_VAR_hc_username_<cluster> and TF_VAR_hc_password_<cluster> (or "
                    "HC_USERNAME_<CLUSTER> and HC_PASSWORD_<CLUSTER> for fleetform's commands)",
                )
            )
        clusters[index] = {k: v for k, v in cluster.items() if str(k).lower() not in credentials}
    if clusters:
        data["clusters"] = clusters
    try:
        config = SiteConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        issues.extend(issues_from_validation_error(exc, doc, SiteConfig))
        raise ConfigError(issues) from None
    issues += _cross_issues(config, doc)
    if issues:
        raise ConfigError(issues)
    config._source = Path(path).absolute()
    config._doc = doc
    return config


RESERVED_VARIABLES = ("clusterName", "clusterId", "instance_id", "instance_index", "secret")


def _cross_issues(config: SiteConfig, doc: YamlDocument) -> list[Issue]:
    """Rules across fields: unique cluster names, no variables that shadow the built-ins."""
    issues = []
    seen: dict[str, int] = {}
    for index, cluster in enumerate(config.clusters):
        if cluster.name in seen:
            issues.append(
                Issue(
                    doc.locate(("clusters", index, "name")),
                    f"cluster name '{cluster.name}' is used twice (first at line "
                    f"{doc.locate(('clusters', seen[cluster.name], 'name')).line})",
                    "give each cluster its own name: it names the cluster's stacks and state",
                )
            )
        seen.setdefault(cluster.name, index)
    issues += rollout_issues(config.rollout, config.clusters, doc)
    scopes: list[tuple[tuple[Any, ...], dict[str, Any]]] = [(("variables",), config.variables)]
    scopes += [(("clusters", i, "variables"), c.variables) for i, c in enumerate(config.clusters)]
    scopes += [(("applications", n, "variables"), a.variables) for n, a in config.applications.items()]
    for at, variables in scopes:
        for name in variables:
            if name in RESERVED_VARIABLES:
                issues.append(
                    Issue(
                        doc.locate_key((*at, name)),
                        f"variable '{name}' is built in and cannot be set",
                        "rename it; clusterName and clusterId come from clusters: (name, id)",
                    )
                )
    return issues


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
