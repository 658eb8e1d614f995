"""The simulated cluster's verbs, one backend per HyperCore entity (moto's layout), composed by
:class:`fleetform.simulator.backend.Backend`.

``core`` (tables, lookups) <- ``tasks`` <- ``disks``, ``nics`` <- ``images``, ``vms`` <- ``snapshots``; ``cluster``
(sessions, nodes, seed). A backend builds on the ones whose records it makes (a VM create adds disks and NICs).
"""
