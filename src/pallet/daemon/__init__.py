"""``palletd``: its configuration (:mod:`~pallet.daemon.config`), the wiring that names
every concrete class once (:mod:`~pallet.daemon.wiring`), the parts it installs beside
the engine core (networks, operations, build, registry, commit, scan) and the engine
backend the routers call.
"""
