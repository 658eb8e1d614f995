"""Running Terraform on synthesized stacks, and everything a run needs to be safe.

- :mod:`~fleetform.terraform.runner`: the Terraform CLI per stack (its own session, interrupts forwarded once).
- :mod:`~fleetform.terraform.connect`: REST clients for the site's clusters and Terraform's environment, with
  credentials from the environment only.
- :mod:`~fleetform.terraform.plans`: ``fleetform plan`` / ``apply`` (and ``deploy``/``destroy``): plan many
  stacks into a plan directory, orphans and tombstones, the data-loss guard, apply exactly the saved plans.
- :mod:`~fleetform.terraform.outofband`: objects deleted outside fleetform, found through REST before a refresh.
- :mod:`~fleetform.terraform.drift` (with :mod:`~fleetform.terraform.drift_exclusions`): ``fleetform drift``.
- :mod:`~fleetform.terraform.rollout`: saved plans applied wave by wave, the health gate, the status records.
- :mod:`~fleetform.terraform.embedded`: the simulator mode (the simulator and the stand-in provider started and
  installed as separate programs).

Everything here may use the synth stage (:mod:`fleetform.synth`); nothing below imports this package.
This package imports nothing at its top level.
"""
