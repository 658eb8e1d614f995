"""A HyperCore REST API simulator (``/rest/v1``) for tests and demos, with its own ``/admin`` API.

It speaks what the ScaleComputing/hypercore Terraform provider and fleetform's REST client use, keeps its state
in SQLite (a restart with the same data directory keeps everything) and can inject faults. It is a separate
program: nothing here imports fleetform outside this package.

Layers, moto style: :mod:`.models` (entities and their wire records), :mod:`.db` (SQLite),
:mod:`.backends` (the cluster's verbs, one backend per entity: ``vms``, ``disks``, ``nics``, ``images``,
``snapshots``, ``tasks``, ``cluster``, raising :mod:`.errors`) composed by :mod:`.backend`'s ``Backend`` (the
facade the routes call), :mod:`.schemas` (request bodies), :mod:`.api` and :mod:`.admin` (thin routes), :mod:`.app` (the ASGI app), :mod:`.server` (uvicorn), :mod:`.testing` (helpers).
"""

from fleetform.simulator.settings import Settings

__all__ = ["Settings"]
