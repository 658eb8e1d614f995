"""The synth stage: manifests and the site file -> one Terraform JSON stack per (application, cluster).

In pipeline order: :mod:`~fleetform.synth.inputs` (read the site and every manifest, one ``StackInput`` per
target), :mod:`~fleetform.synth.translate` (a manifest resolved against the site -> the constructs' props, with
:mod:`~fleetform.synth.image_sources` for image mirrors and sizes), :mod:`~fleetform.synth.prepare` (one stack's
props, state location and cache key, without cdktf), :mod:`~fleetform.synth.app` (the cdktf ``App``: one
``ApplicationStack`` per stack; ``main.py`` runs its ``main``), :mod:`~fleetform.synth.synthesize`
(``fleetform synth``: scratch directory, atomic install) with :mod:`~fleetform.synth.cache` (stacks whose
inputs did not change are not built again). :mod:`~fleetform.synth.origins` is the ``fleetform_manifest`` output
every stack records and the orphan rule read back from state; :mod:`~fleetform.synth.schema_check` checks
synthesized JSON against the provider schema.

This package imports nothing at its top level: reading inputs must not start cdktf's jsii kernel.
"""
