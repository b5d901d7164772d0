"""``client.volumes``: create, inspect, list, remove, prune.

The create body is a ``pallet.api.netmodels.VolumeCreate`` (or its wire dict);
answers are ``pallet.api.responses`` Structs; ``inspect_raw`` keeps the daemon's
document as sent, for callers that print it (``pallet volume inspect``).
"""

from __future__ import annotations

from pallet.api.netmodels import VolumeCreate
from pallet.api.responses import VolumesPruned
from pallet.api.view_volumes import Volume, VolumeList
from pallet.client.resource import Resource, filters_query, flag, path
from pallet.notation.filters import Filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Volumes(Resource):
    """The ``/volumes`` endpoints."""

    def create(self, config: VolumeCreate | dict[str, Any] | None = None) -> Volume:
        """``POST /volumes/create``; no config: an anonymous local volume."""
        body = config if config is not None else VolumeCreate()
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
