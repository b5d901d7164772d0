"""``client.volumes``: create, inspect, list, remove, prune.

The create body is a ``pallet.api.netmodels.VolumeCreate`` (or its wire dict);
answers are ``pallet.api.responses`` Structs; ``inspect_raw`` keeps the daemon's
document as sent, for callers that print it (``pallet volume inspect``); ``list_raw`` and
``create_raw`` answer as sent, for callers that read a name and labels or only need the
volume made (compose). Each method imports the Structs it decodes, when it runs.
"""

from __future__ import annotations

from pallet.client.resource import Resource, filters_query, flag, path

TYPE_CHECKING = False
if TYPE_CHECKING:
    import builtins
    from typing import Any

    from pallet.api.netmodels import VolumeCreate
    from pallet.api.responses import VolumesPruned
    from pallet.api.view_volumes import Volume, VolumeList
    from pallet.notation.filters import Filters


class Volumes(Resource):
    """The ``/volumes`` endpoints."""

    def create(self, config: VolumeCreate | dict[str, Any] | None = None) -> Volume:
        """``POST /volumes/create``; no config: an anonymous local volume."""
        from pallet.api.netmodels import VolumeCreate
        from pallet.api.view_volumes import Volume

        body = config if config is not None else VolumeCreate()
        return self._typed(Volume, "POST", "/volumes/create", json_body=body)

    def create_raw(self, config: dict[str, Any]) -> dict[str, Any]:
        """:meth:`create`, the daemon's document as sent."""
        doc: dict[str, Any] = self._json("POST", "/volumes/create", json_body=config)
        return doc

    def inspect(self, name: str) -> Volume:
        from pallet.api.view_volumes import Volume

        return self._typed(Volume, "GET", path("/volumes/{}", name))

    def inspect_raw(self, name: str) -> dict[str, Any]:
        """The daemon's document as sent (for printing)."""
        doc: dict[str, Any] = self._json("GET", path("/volumes/{}", name))
        return doc

    def list(self, filters: Filters | None = None) -> VolumeList:
        from pallet.api.view_volumes import VolumeList

        return self._typed(VolumeList, "GET", "/volumes", {"filters": filters_query(filters)})

    def list_raw(self, filters: Filters | None = None) -> builtins.list[dict[str, Any]]:
        """:meth:`list`'s volumes, the daemon's documents as sent."""
        doc = self._json("GET", "/volumes", {"filters": filters_query(filters)}) or {}
        return list(doc.get("Volumes") or [])

    def remove(self, name: str, force: bool = False) -> None:
        self._done("DELETE", path("/volumes/{}", name), {"force": flag(force)})

    def prune(self, filters: Filters | None = None) -> VolumesPruned:
        """Anonymous unused volumes; ``{"all": ["true"]}`` in filters for named ones too."""
        from pallet.api.responses import VolumesPruned

        return self._typed(VolumesPruned, "POST", "/volumes/prune",
                           {"filters": filters_query(filters)})
