"""``client.volumes``: create, inspect, list, remove, prune.

Answers are ``pallet.api.responses`` Structs; ``inspect_raw`` keeps the daemon's
document as sent, for callers that print it (``pallet volume inspect``).
"""

from __future__ import annotations

from pallet.api.responses import Volume, VolumeList, VolumesPruned
from pallet.client.resource import Resource, filters_query, flag, path
from pallet.notation.filters import Filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Volumes(Resource):
    """The ``/volumes`` endpoints."""

    def create(
        self,
        name: str = "",
        driver: str = "local",
        *,
        labels: dict[str, str] | None = None,
        driver_opts: dict[str, str] | None = None,
    ) -> Volume:
        """``POST /volumes/create``; an empty name lets the daemon pick one."""
        body = {"Name": name, "Driver": driver, "Labels": labels or {},
                "DriverOpts": driver_opts or {}}
        return self._typed(Volume, "POST", "/volumes/create", json_body=body)

    def inspect(self, name: str) -> Volume:
        return self._typed(Volume, "GET", path("/volumes/{}", name))

    def inspect_raw(self, name: str) -> dict[str, Any]:
        """The daemon's document as sent (for printing)."""
        doc: dict[str, Any] = self._json("GET", path("/volumes/{}", name))
        return doc

    def list(self, filters: Filters | None = None) -> VolumeList:
        return self._typed(VolumeList, "GET", "/volumes", {"filters": filters_query(filters)})

    def remove(self, name: str, force: bool = False) -> None:
        self._done("DELETE", path("/volumes/{}", name), {"force": flag(force)})

    def prune(self, filters: Filters | None = None) -> VolumesPruned:
        """Anonymous unused volumes; ``{"all": ["true"]}`` in filters for named ones too."""
        return self._typed(VolumesPruned, "POST", "/volumes/prune",
                           {"filters": filters_query(filters)})
