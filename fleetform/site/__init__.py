"""The site file, ``fleetform.yaml``: what manifest names mean on a site's clusters, read by every stage.

- :mod:`~fleetform.site.config`: networks -> VLANs, machine types -> template VMs, the image mirror, state,
  clusters and their selectors; every problem at its line.
- :mod:`~fleetform.site.waves`: its ``rollout:`` section (waves by cluster labels), a pure model that the
  rollout (:mod:`fleetform.terraform.rollout`) resolves.

Kept below the synth stage (it reads manifests' names, nothing of cdktf or Terraform), so that synth and the
Terraform-running side read one site model. This package imports nothing at its top level.
"""
