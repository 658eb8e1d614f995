"""The simulated cluster's verbs, one backend per HyperCore entity (moto's layout), composed by
:class:`fleetform.simulator.backend.Backend`.

``core`` (tables, lookups) <- ``tasks`` <- ``disks``, ``nics``; ``disks`` <- ``images`` (attaching a virtual disk
makes a block device) and ``cluster`` (the seed's templates get firmware devices); ``disks`` + ``nics`` <- ``vms``
<- ``snapshots``. A backend builds on the ones whose records it makes, so every cross-entity call is type-checked.
"""
