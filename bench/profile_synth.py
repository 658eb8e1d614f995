"""cProfile of one synth, summarized as JSON: where the time goes and how many jsii messages it took.

    .venv/bin/python bench/profile_synth.py DIR --mode fleetform|per-resource

DIR holds ``fleetform.yaml`` and ``manifests/`` (``bench/fleetgen.py``). ``fleetform`` is ``fleetform synth`` (no
synth cache: every stack built; each construct writes its resources as one cdktf element); ``per-resource`` is
the naive app of ``bench/naive_per_resource.py`` (the same constructs with every resource reached for: one typed
binding, one jsii object, per resource), the same JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# The phases a summary names: (label, file the function is in, function name). Calls and cumulative seconds of
# each; the same list for both modes, so that their summaries read side by side.
PHASES = (
    ("load_inputs: parse, render, validate", "fleetform/synth/inputs.py", "load_inputs"),
    ("ApplicationStack (constructs)", "fleetform/synth/app.py", "__init__"),
    ("- Application", "fleetform/constructs/application.py", "__init__"),
    ("- VirtualMachine", "fleetform/constructs/vm.py", "__init__"),
    (
        "- reaching for every resource (typed bindings)",
        "bench/naive_per_resource.py",
        "reach_for_every_resource",
    ),
    ("- jsii object creations", "jsii/_kernel/__init__.py", "create"),
    ("- override_logical_id", "cdktf/__init__.py", "override_logical_id"),
    ("- get_string_attribute (references)", "cdktf/__init__.py", "get_string_attribute"),
    ("- typeguard checks", "cdktf/__init__.py", "check_type"),
    ("App.synth", "cdktf/__init__.py", "synth"),
    ("- callbacks from Node", "jsii/_kernel/__init__.py", "sync_complete"),
    ("- elements written in Python (to_terraform)", "fleetform/constructs/_element.py", "to_terraform"),
    ("jsii messages (round trips)", "jsii/_kernel/providers/process.py", "send"),
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--mode", choices=("fleetform", "per-resource"), required=True)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="fleetform-profile-"))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    try:
        profiler.enable()
        if args.mode == "fleetform":
            from fleetform.synth.synthesize import synthesize

            synthesize(
                [args.directory / "manifests"],
                config_path=args.directory / "fleetform.yaml",
                outdir=out,
                cache=False,
            )
        else:
            from naive_per_resource import reach_for_every_resource

            from fleetform.synth.app import build_app
            from fleetform.synth.inputs import load_inputs

            inputs = load_inputs([args.directory / "manifests"], args.directory / "fleetform.yaml")
            app, _ = build_app(inputs, outdir=out)
            reach_for_every_resource(app)
            app.synth()
        profiler.disable()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    seconds = time.perf_counter() - started
    found: dict[str, list[float]] = {label: [0, 0.0] for label, _, _ in PHASES}
    for (path, _line, name), (_cc, ncalls, _tt, cumtime, _callers) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        for label, where, function in PHASES:
            if path.endswith(where) and name == function:
                found[label][0] += ncalls
                found[label][1] = max(found[label][1], cumtime)  # recursion counts each frame; keep the outer
    phases = [{"phase": label, "calls": int(c), "seconds": round(t, 2)} for label, (c, t) in found.items()]
    print(json.dumps({"mode": args.mode, "seconds": round(seconds, 2), "phases": phases}))


if __name__ == "__main__":
    main()
