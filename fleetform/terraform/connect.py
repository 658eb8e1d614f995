"""REST clients for the clusters of a site, with credentials from the environment only.

A site without ``clusters:`` is reached through ``HC_HOST``, ``HC_USERNAME`` and ``HC_PASSWORD``. A cluster is
reached at its ``host:`` (else ``HC_HOST``) with ``HC_USERNAME_<CLUSTER>``/``HC_PASSWORD_<CLUSTER>``, else the
values Terraform gets (``TF_VAR_hc_username_<cluster>``/``TF_VAR_hc_password_<cluster>``), else ``HC_USERNAME``/
``HC_PASSWORD`` (``<CLUSTER>``: the name in capitals, ``-`` as ``_``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from fleetform.errors import ApiConfigError
from fleetform.hypercore import HypercoreClient
from fleetform.site.config import Target
from fleetform.synth.translate import credential_variables


def client_for(
    target: Target, *, insecure: bool = False, environ: Mapping[str, str] | None = None
) -> HypercoreClient:
    """A REST client (not logged in yet; use it as a context manager) for the cluster of ``target``."""
    env = dict(os.environ if environ is None else environ)
    if target.cluster is not None:
        suffix = re.sub(r"[^A-Z0-9]", "_", target.cluster.name.upper())
        if target.cluster.host:
            env["HC_HOST"] = target.cluster.host
        for name, variable in zip(
            ("HC_USERNAME", "HC_PASSWORD"), credential_variables(target.cluster.name), strict=True
        ):
            value = env.get(f"{name}_{suffix}") or env.get(f"TF_VAR_{variable}")
            if value:
                env[name] = value
    return HypercoreClient.from_env(env, verify_tls=not insecure)


def terraform_environment(targets: Iterable[Target], environ: Mapping[str, str]) -> dict[str, str]:
    """The environment Terraform runs with for stacks on ``targets``: ``environ`` plus each cluster's
    ``TF_VAR_hc_username_<cluster>``/``TF_VAR_hc_password_<cluster>`` taken, when unset, from the same variables
    :func:`client_for` reads. Raises ApiConfigError, naming every variable to set, when a cluster has no host or
    credentials: before Terraform starts, rather than Terraform asking for input it cannot get."""
    env = dict(environ)
    problems: list[str] = []
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            continue
        seen.add(target.name)
        if target.cluster is None:
            unset = [name for name in ("HC_HOST", "HC_USERNAME", "HC_PASSWORD") if not env.get(name)]
            if unset:
                problems.append(
                    f"{', '.join(unset)} {'is' if len(unset) == 1 else 'are'} not set: export HC_HOST "
                    "(https://<cluster address>), HC_USERNAME and HC_PASSWORD for the cluster, or use "
                    "--simulator to work against the embedded HyperCore simulator"
                )
            continue
        suffix = re.sub(r"[^A-Z0-9]", "_", target.cluster.name.upper())
        unset = []
        if not (target.cluster.host or env.get("HC_HOST")):
            unset.append("HC_HOST (or host: of the cluster in fleetform.yaml)")
        for name, variable in zip(
            ("HC_USERNAME", "HC_PASSWORD"), credential_variables(target.cluster.name), strict=True
        ):
            value = env.get(f"TF_VAR_{variable}") or env.get(f"{name}_{suffix}") or env.get(name)
            if value:
                env[f"TF_VAR_{variable}"] = value
            else:
                unset.append(f"TF_VAR_{variable} (or {name}_{suffix}, or {name})")
        if unset:
            problems.append(f"cluster '{target.cluster.name}': set {', '.join(unset)}")
    if problems:
        raise ApiConfigError(
            "no credentials for the cluster; nothing was run:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return env
