"""Staged rollouts of reviewed plans across a fleet of clusters (``fleetform rollout``, ``fleetform status``).

- :mod:`~fleetform.rollout.waves`: the ``rollout:`` section of ``fleetform.yaml``, its checks, and which
  clusters each wave holds (pure; :mod:`fleetform.config` uses it, so it imports nothing heavy).
- :mod:`~fleetform.rollout.labels`: the wave of each planned stack, written into the plan index for the review.
- :mod:`~fleetform.rollout.health`: the health gate after a wave, through REST.
- :mod:`~fleetform.rollout.records`: what was applied where (the records ``fleetform status`` reads), kept beside
  the state: a file for the local backend, a table for the pg backend.
- :mod:`~fleetform.rollout.journal`: a rollout's progress in its plan directory, so a re-run resumes.
- :mod:`~fleetform.rollout.run`: the rollout itself, wave by wave.
- :mod:`~fleetform.rollout.status`: the fleet at a glance, one row per (application, cluster).

This package imports nothing at its top level, so that reading ``fleetform.yaml`` stays cheap.
"""
