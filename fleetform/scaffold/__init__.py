"""``fleetform init``: scaffold a new fleetform project.

A new project is a cdktf Python app (``cdktf.json``, ``main.py``, ``Pipfile``, ``package.json`` pinning the
cdktf CLI) whose ``main.py`` calls :func:`fleetform.synth.app.main`, plus a site configuration (``fleetform.yaml``),
one example manifest with an editor schema modeline, the schemas under ``schema/``, a ``.gitignore`` and
fleetform's GitHub workflows. It passes ``fleetform validate`` and ``cdktf synth`` as it is.
"""

from fleetform.scaffold.errors import ScaffoldError
from fleetform.scaffold.project import (
    CDKTF_CLI_VERSION,
    CDKTF_VERSION,
    Project,
    default_name,
    init_project,
    render_files,
)
from fleetform.scaffold.requirement import Requirement

__all__ = [
    "CDKTF_CLI_VERSION",
    "CDKTF_VERSION",
    "Project",
    "Requirement",
    "ScaffoldError",
    "default_name",
    "init_project",
    "render_files",
]
