"""``fleetform import``: adopt VMs that already run on a HyperCore cluster.

The cluster's VMs become one application manifest plus, next to it, an imports file
(:mod:`fleetform.importer.record`) with the Terraform import ID of every resource, so that the next synth emits
``import`` blocks and ``terraform plan`` shows only imports: nothing to add, change or destroy.

- :mod:`~fleetform.importer.record`: the imports file format; the only module synth reads (it imports nothing
  but :mod:`fleetform.errors`, so reading it never pulls in the REST client).
- :mod:`~fleetform.importer.convert`: one HyperCore VM record -> a manifest VM, its import IDs and what could not
  be carried over. Pure: no I/O.
- :mod:`~fleetform.importer.managed`: which VMs some other fleetform stack already manages.
- :mod:`~fleetform.importer.write`: the manifest text, checked by fleetform's own loader, written atomically.
- :mod:`~fleetform.importer.run`: the whole command: select, read, convert, check, write; returns a report.
- :mod:`~fleetform.importer.errors`: :class:`ImportFailed`, for what stops an import (nothing is written).

This package ``__init__`` imports nothing, so ``fleetform.importer.record`` stays cheap to import.
"""
