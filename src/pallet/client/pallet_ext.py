"""``client.pallet``: pallet's own endpoints, outside the Engine API (``/pallet/...``).

``bootstrap`` builds a base image on the daemon's machine (busybox from the host's
busybox-static, debian with mmdebstrap), for a machine with no registry to pull from.
"""

from __future__ import annotations

from pallet.client.resource import Resource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.client.http import Response


class PalletExtensions(Resource):
    """``/pallet/*``."""

    def bootstrap(self, name: str, tag: str | None = None) -> Response:
        """JSON-lines progress; the last line's ``aux`` names the image."""
        return self._call("POST", "/pallet/images/bootstrap", {"name": name, "tag": tag or None})
