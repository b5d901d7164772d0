"""The Engine API over HTTP (aiohttp): one router per resource, each built by its
module's ``make_routes`` from the small backend protocol it needs, the version and
error edge (errors map to statuses once, in :mod:`~pallet.server.errors`), streams and
the hijacked attach.
"""
