"""The scanning core: what an image holds (inventory) and which of it is vulnerable.

Neutral ground between the two sides. The client side (``pallet.scan``, the CLI's
``pallet scan`` over ``docker save`` archives) and the daemon side (``palletd``'s
``POST /pallet/images/{name}/scan`` over its content store) both hand it layer
streams; it imports only ``pallet.oci``, ``pallet.system`` and ``pallet.errors``,
never either side (an import-linter contract keeps it so).
"""
