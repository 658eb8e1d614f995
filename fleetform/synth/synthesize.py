"""``fleetform synth``: write ``DIR/stacks/<stack>/cdk.tf.json`` exactly as ``cdktf synth`` does.

Synthesis happens in a scratch directory next to ``DIR``; only when every stack synthesized are the files moved
into place, one atomic rename each, so a failed synth leaves the previous output (and each stack's
``.terraform`` working files) untouched.

Stacks whose inputs did not change since the last synth into ``DIR`` keep their file
(:mod:`fleetform.synth.cache`); only the others are built, with the constructs ``cdktf synth`` builds
(:mod:`fleetform.synth.app`). When no stack needs building, cdktf (and its Node process) is not started at all.
Cached or not, every ``cdk.tf.json`` is byte for byte the same. ``manifest.json`` is cdktf's when cdktf wrote
every stack; otherwise fleetform writes it from what cdktf wrote for each stack (the same data; formatted by
Python's ``json``, not byte for byte as cdktf formats it).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetform._cdk_choice import library_version
from fleetform.constructs._plan import construct_id
from fleetform.errors import InputError, Issue
from fleetform.synth.cache import STACK_FILE, SynthCache, enabled_by_env, props_data
from fleetform.synth.inputs import Inputs, load_inputs
from fleetform.synth.origins import origin_of

if TYPE_CHECKING:
    from fleetform.synth.prepare import StackBuild

MANIFEST = "manifest.json"


@dataclass
class SynthResult:
    """What a synth wrote."""

    outdir: Path
    stacks: list[str]
    warnings: list[Issue]
    reused: list[str] = field(default_factory=list)
    """Stacks whose ``cdk.tf.json`` was kept from the previous synth, their inputs unchanged."""

    def stack_file(self, stack: str) -> Path:
        """The synthesized Terraform JSON of one stack."""
        return self.outdir / "stacks" / stack / STACK_FILE


def synthesize(
    manifest_paths: Sequence[str | Path],
    *,
    config_path: str | Path | None = None,
    outdir: str | Path,
    allow_data_loss: bool = False,
    cache: bool | None = None,
    inputs: Inputs | None = None,
    prune: bool = True,
) -> SynthResult:
    """Validate, build and synthesize every manifest; raise InputError (writing nothing) on bad input.

    ``allow_data_loss`` leaves out the ``prevent_destroy`` that guards every data disk. ``cache``: keep the
    stacks whose inputs did not change (default: yes, unless ``FLEETFORM_SYNTH_CACHE=off``). ``inputs``: what
    :func:`fleetform.synth.inputs.load_inputs` returned for these paths, when the caller has it already. ``prune``:
    drop the stacks of earlier synths that these manifests do not make, as ``cdktf synth`` does (default); False
    keeps them and their working directories (a run over some manifests must not touch the others' files)."""
    from fleetform.synth.prepare import prepare_stack

    if inputs is None:
        inputs = load_inputs(manifest_paths, config_path)
    out = Path(outdir).resolve()
    use_cache = enabled_by_env() if cache is None else cache
    index = SynthCache.load(out) if use_cache else SynthCache(out)
    builds: list[tuple[str, StackBuild]] = []  # (directory, build)
    keys: dict[str, str] = {}
    reused: dict[str, list[Issue]] = {}
    issues: list[Issue] = []
    owners: dict[str, str] = {}
    for stack in inputs.stacks:
        # A stack's directory (and its name in manifest.json) is its construct id: a "/" becomes "--".
        directory = construct_id(stack.name)
        if owners.setdefault(directory, stack.name) != stack.name:
            issues.append(
                _same_directory(stack.manifest.locate("metadata", "name"), owners[directory], stack.name)
            )
            continue
        try:
            build = prepare_stack(stack, final_outdir=out, allow_data_loss=allow_data_loss)
            keys[directory] = index.key(directory, _key_inputs(build))
            entry = index.reusable(directory, keys[directory])
            if entry is not None:
                reused[directory] = entry.warnings
            builds.append((directory, build))
        except InputError as exc:
            issues.extend(exc.issues)
    if issues:
        raise InputError(issues)
    fresh = [(d, b) for d, b in builds if d not in reused]

    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    built: dict[str, list[Issue]] = {}
    try:
        written: dict[str, Any] = {}
        if fresh:
            built = _synth_with_cdktf(fresh, scratch)
            written = json.loads((scratch / MANIFEST).read_text(encoding="utf-8"))
            index.version = written.get("version", index.version)
        stacks = sorted(d for d, _ in builds)
        kept = [] if prune else _kept(out, index, stacks)
        _install(scratch, out, stacks, written, index, kept)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    warnings = list(inputs.warnings)
    for directory, build in builds:
        warnings += [*build.notes, *(reused[directory] if directory in reused else built[directory])]
    for directory, _ in fresh:
        index.record(directory, keys[directory], written["stacks"][directory], built[directory])
    index.save([*stacks, *kept])
    return SynthResult(
        outdir=out, stacks=stacks, warnings=list(dict.fromkeys(warnings)), reused=sorted(reused)
    )


def _key_inputs(build: StackBuild) -> dict[str, Any]:
    """Everything a stack's JSON depends on besides the code (see :mod:`fleetform.synth.cache`)."""
    cluster = build.stack.target.cluster
    return {
        "name": build.name,
        "cluster": None if cluster is None else {"name": cluster.name, "host": cluster.host},
        "backend": build.stack.site.state.backend,
        "state": build.state,
        "imports": sorted(build.stack.imports.items()),
        "origin": origin_of(build.stack.manifest.path),
        "props": props_data(build.props),
    }


def _synth_with_cdktf(builds: Sequence[tuple[str, StackBuild]], scratch: Path) -> dict[str, list[Issue]]:
    """Build and synthesize the stacks into ``scratch``; the construct warnings of each, by directory. Raises
    InputError (writing nothing) for what the constructs refuse."""
    from fleetform._cdktf import App
    from fleetform.synth.app import build_stacks

    app = App(outdir=str(scratch))
    warnings = build_stacks(app, [build for _, build in builds])
    app.synth()
    return {directory: found for (directory, _), found in zip(builds, warnings, strict=True)}


def _kept(out: Path, index: SynthCache, stacks: Sequence[str]) -> list[str]:
    """Stacks of earlier synths into ``out`` that this one does not make but keeps (``prune=False``)."""
    return sorted(
        name
        for name in index.entries
        if name not in stacks and (out / "stacks" / name / STACK_FILE).is_file()
    )


def _install(
    scratch: Path,
    out: Path,
    stacks: Sequence[str],
    written: dict[str, Any],
    index: SynthCache,
    kept: Sequence[str] = (),
) -> None:
    """Move freshly synthesized stacks into ``out`` (keeping their working files and the stacks taken from the
    cache), write ``manifest.json`` for every stack (and the ``kept`` ones), drop the other stacks no longer in
    the app."""
    fresh = written.get("stacks", {})
    (out / "stacks").mkdir(parents=True, exist_ok=True)
    for stack in fresh:
        target = out / "stacks" / stack
        target.mkdir(exist_ok=True)
        for item in (scratch / "stacks" / stack).iterdir():
            item.replace(target / item.name)
    if fresh and len(fresh) == len(stacks) and not kept:
        (scratch / MANIFEST).replace(out / MANIFEST)
    else:
        entries = {s: fresh[s] if s in fresh else index.entries[s].manifest for s in sorted([*stacks, *kept])}
        version = index.version or library_version()
        text = json.dumps(
            {"stacks": entries, "version": version}, indent=2, sort_keys=True, ensure_ascii=False
        )
        (out / MANIFEST).write_text(text, encoding="utf-8")
    # cdktf synth removes the directories of stacks that left the app; do the same so both outputs agree.
    for old in (out / "stacks").iterdir():
        if old.is_dir() and old.name not in stacks and old.name not in kept:
            shutil.rmtree(old)


def _same_directory(where: Any, first: str, second: str) -> Issue:
    return Issue(
        where,
        f"stacks '{first}' and '{second}' would share the directory stacks/{construct_id(first)} ('/' is "
        "written as '--')",
        "rename one of the applications",
    )
