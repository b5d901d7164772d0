"""pallet scan, the client side: image SBOMs and vulnerability scans over the
Engine API (so it works against Docker too), and the outputs the CLI writes.

The inventory and matching themselves are :mod:`pallet.scancore`, shared with
palletd's ``POST /pallet/images/{name}/scan``.
"""
