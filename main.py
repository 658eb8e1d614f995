"""cdktf entry point: ``cdktf synth`` runs this in the project's virtualenv (see cdktf.json).

It reads ``manifests/`` (or the files and directories named by ``FLEETFORM_MANIFESTS``) and the site
configuration ``fleetform.yaml`` (or ``FLEETFORM_CONFIG``), exactly like ``fleetform synth``.
"""

from fleetform.synth.app import main

main()
