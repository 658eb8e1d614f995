"""Staged rollouts of reviewed plans across a fleet of clusters (``fleetform rollout``, ``fleetform status``).

- The ``rollout:`` section of ``fleetform.yaml`` and which clusters each wave holds: :mod:`fleetform.site.waves`
  (part of the site model, below synth, which reads the site too).
- :mod:`~fleetform.terraform.rollout.planned`: the wave of each planned stack, written into the plan index for the review.
- :mod:`~fleetform.terraform.rollout.health`: the health gate after a wave, through REST.
- :mod:`~fleetform.terraform.rollout.records`: what was applied where (the records ``fleetform status`` reads), kept beside
  the state: a file for the local backend, a table for the pg backend.
- :mod:`~fleetform.terraform.rollout.journal`: a rollout's progress in its plan directory, so a re-run resumes.
- :mod:`~fleetform.terraform.rollout.run`: the rollout itself, wave by wave.
- :mod:`~fleetform.terraform.rollout.status`: the fleet at a glance, one row per (application, cluster).

This package imports nothing at its top level.
"""
