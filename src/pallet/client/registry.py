"""``client.registry``: pull, push and log in (``POST /auth``).

Credentials travel as Docker does: ``X-Registry-Auth`` is base64url JSON of the
registry's auth config; ``e30=`` (``{}``) is anonymous. Pull and push answer with
JSON-lines progress (``pallet.client.streams.json_lines`` reads it).
"""

from __future__ import annotations

from pallet.client.resource import Resource, flag, path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.api.responses import AuthResponse
    from pallet.client.http import Response

ANONYMOUS = "e30="


class Registry(Resource):
    """``/images/create?fromImage=``, ``/images/{name}/push`` and ``/auth``."""

    def pull(self, image: str, tag: str | None = None, *, platform: str | None = None,
             all_tags: bool = False, auth: str = ANONYMOUS) -> Response:
        """``image`` without its tag; ``tag`` a tag or a digest."""
        q = {"fromImage": image, "tag": tag or None, "platform": platform or None,
             "all": flag(all_tags)}
        return self._call("POST", "/images/create", q, headers={"X-Registry-Auth": auth})

    def push(self, repo: str, tag: str | None = None, *, auth: str = ANONYMOUS,
             compression: str | None = None, level: int | None = None) -> Response:
        """Push ``repo:tag`` (every tag of ``repo`` without one); ``compression`` (gzip,
        zstd, none) and ``level`` for the layers the daemon stores uncompressed."""
        q = {"tag": tag or None, "compression": compression,
             "compression-level": None if level is None else str(level)}
        return self._call("POST", path("/images/{}/push", repo), q,
                          headers={"X-Registry-Auth": auth})

    def login(self, username: str, password: str, server: str) -> AuthResponse:
        """Check the credentials with the registry (the daemon keeps nothing)."""
        from pallet.api.responses import AuthResponse

        body = {"username": username, "password": password, "serveraddress": server}
        return self._typed(AuthResponse, "POST", "/auth", json_body=body)
