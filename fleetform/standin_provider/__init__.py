"""A stand-in for the ScaleComputing/hypercore Terraform provider (v1.4.0), for the HyperCore simulator.

It serves the real provider's schema and talks to a HyperCore REST API the way the real provider does (same
calls, units, import IDs, quirks, failures and error texts), so configurations behave against the simulator as
they would against a cluster, bugs included. Run by Terraform as ``python -m fleetform.standin_provider``;
install it into a filesystem mirror with ``python -m fleetform.standin_provider.install``. It imports nothing
from fleetform outside this package: its HTTP layer (``rest``) is its own, not fleetform's REST client.
"""
