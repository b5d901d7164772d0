"""``client.images``: list, inspect, history, tag, remove, prune, save, load, import.

Pulling and pushing are ``client.registry``'s (they carry credentials); building is
``client.build``'s. Lists, inspect and history stay wire documents: the CLI formats
and prints them as the daemon sent them.
"""

from __future__ import annotations

from pallet.client.resource import Resource, filters_query, flag, path

TYPE_CHECKING = False
if TYPE_CHECKING:
    import builtins
    from typing import Any

    from pallet.api.responses import ImageDeleted, ImagesPruned
    from pallet.client.http import Body, Response
    from pallet.notation.filters import Filters

_TAR = {"Content-Type": "application/x-tar"}


class Images(Resource):
    """The ``/images`` endpoints."""

    def list(self, all: bool = False, filters: Filters | None = None,
             digests: bool = False) -> builtins.list[dict[str, Any]]:
        q = {"all": flag(all), "filters": filters_query(filters), "digests": flag(digests)}
        items: builtins.list[dict[str, Any]] = self._json("GET", "/images/json", q) or []
        return items

    def inspect(self, ref: str) -> dict[str, Any]:
        doc: dict[str, Any] = self._json("GET", path("/images/{}/json", ref))
        return doc

    def history(self, ref: str) -> builtins.list[dict[str, Any]]:
        items: builtins.list[dict[str, Any]] = (
            self._json("GET", path("/images/{}/history", ref)) or [])
        return items

    def tag(self, ref: str, repo: str, tag: str | None = None) -> None:
        self._done("POST", path("/images/{}/tag", ref), {"repo": repo, "tag": tag or None})

    def remove(self, ref: str, force: bool = False,
               noprune: bool = False) -> builtins.list[ImageDeleted]:
        """What was untagged and deleted, in the daemon's order."""
        from pallet.api.responses import ImageDeleted
        from pallet.client.resource import decode_list

        q = {"force": flag(force), "noprune": flag(noprune)}
        data = self._call("DELETE", path("/images/{}", ref), q).read()
        return decode_list(data, ImageDeleted)

    def prune(self, filters: Filters | None = None) -> ImagesPruned:
        """Dangling images; ``{"dangling": ["false"]}`` in filters for all unused ones."""
        from pallet.api.responses import ImagesPruned

        return self._typed(ImagesPruned, "POST", "/images/prune",
                           {"filters": filters_query(filters)})

    def save(self, names: builtins.list[str]) -> Response:
        """A tar stream of the images (``docker save`` format)."""
        return self._call("GET", "/images/get", {"names": names})

    def load(self, data: Body, quiet: bool = False) -> Response:
        """JSON-lines progress of loading a ``docker save`` tar."""
        return self._call("POST", "/images/load", {"quiet": flag(quiet)}, body=data,
                          headers=_TAR)

    def import_image(self, data: Body, source: str, repo: str | None = None,
                     tag: str | None = None, changes: builtins.list[str] | None = None,
                     message: str | None = None, platform: str | None = None) -> Response:
        """``POST /images/create?fromSrc=``: a root filesystem tar (``source`` ``-``
        with ``data``, or a URL) as a one-layer image; JSON-lines progress."""
        q: dict[str, Any] = {"fromSrc": source, "repo": repo or None, "tag": tag or None,
                             "changes": changes or None, "message": message or None,
                             "platform": platform or None}
        return self._call("POST", "/images/create", q, body=data,
                          headers=_TAR if data is not None else None)
