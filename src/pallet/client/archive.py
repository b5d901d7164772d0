"""``client.archive``: a container's files as tar (``docker cp``'s endpoints).

``stat`` answers with the path's ``X-Docker-Container-Path-Stat`` header, which
``decode_stat`` turns into ``{"name", "size", "mode", "mtime", "linkTarget"}``.
"""

from __future__ import annotations

from pallet.client.resource import Resource, path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pallet.client.http import Body, Response

STAT_HEADER = "X-Docker-Container-Path-Stat"


class Archive(Resource):
    """``/containers/{id}/archive``: HEAD (stat), GET (read), PUT (extract)."""

    def stat(self, container: str, file: str) -> dict[str, Any]:
        """The path's stat (NotFound when it does not exist)."""
        resp = self._call("HEAD", path("/containers/{}/archive", container), {"path": file})
        resp.close()
        return decode_stat(resp.headers.get(STAT_HEADER))

    def get(self, container: str, file: str) -> Response:
        """A tar of ``file`` (its stat in the answer's headers)."""
        return self._call("GET", path("/containers/{}/archive", container), {"path": file})

    def put(self, container: str, directory: str, tar: Body, no_overwrite: bool = True) -> None:
        """Extract ``tar`` into ``directory`` (which must exist)."""
        q = {"path": directory, "noOverwriteDirNonDir": "true" if no_overwrite else None}
        self._call("PUT", path("/containers/{}/archive", container), q, body=tar,
                   headers={"Content-Type": "application/x-tar"}).read()


def decode_stat(header: str | None) -> dict[str, Any]:
    """``X-Docker-Container-Path-Stat`` (base64 JSON) -> dict (``{}`` if absent or bad)."""
    import base64
    import json

    if not header:
        return {}
    try:
        doc = json.loads(base64.b64decode(header))
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
