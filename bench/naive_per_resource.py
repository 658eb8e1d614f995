"""A naive cdktf app: the same stacks as ``fleetform synth``, one typed binding (one cdktf construct) per resource.

    .venv/bin/python bench/naive_per_resource.py DIR OUT

DIR holds ``fleetform.yaml`` and ``manifests/``; OUT receives ``stacks/<stack>/cdk.tf.json``. It builds the stacks
with fleetform's constructs and reaches for every resource of every one of them (``vm.resource``,
``image.resource``, ...), so that each resource is a ``fleetform.providers.hypercore`` binding, as in an app that
writes one construct per resource; ``bench/run.py`` checks that the JSON equals ``fleetform synth``'s. What
fleetform's constructs save by writing a VM's resources as one element is the difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fleetform.synth.app import ApplicationStack, build_app  # noqa: E402
from fleetform.synth.inputs import load_inputs  # noqa: E402


def reach_for_every_resource(app: object) -> int:
    """Make every resource of every stack a typed binding; how many constructs held them."""
    groups = 0
    for stack in app.node.children:  # type: ignore[attr-defined]
        if isinstance(stack, ApplicationStack):
            application = stack.application
            for group in (
                *application.images.values(),
                *application.snapshot_schedules.values(),
                *application.templates.values(),
                *application.vms.values(),
            ):
                assert group.resource is not None
                groups += 1
    return groups


def main() -> None:
    directory, out = Path(sys.argv[1]), Path(sys.argv[2])
    inputs = load_inputs([directory / "manifests"], directory / "fleetform.yaml")
    app, _ = build_app(inputs, outdir=out)
    reach_for_every_resource(app)
    app.synth()


if __name__ == "__main__":
    main()
