"""REST clients for the clusters of a site, with credentials from the environment only.

A site without ``clusters:`` is reached through ``HC_HOST``, ``HC_USERNAME`` and ``HC_PASSWORD``. A cluster is
reached at its ``host:`` (else ``HC_HOST``) with ``HC_USERNAME_<CLUSTER>``/``HC_PASSWORD_<CLUSTER>``, else the
values Terraform gets (``TF_VAR_hc_username_<cluster>``/``TF_VAR_hc_password_<cluster>``), else ``HC_USERNAME``/
``HC_PASSWORD`` (``<CLUSTER>``: the name in capitals, ``-`` as ``_``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from fleetform.config import Target
from fleetform.hypercore import HypercoreClient
from fleetform.translate import credential_variables


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
