"""``client.build``: ``POST /build`` from a context tar, and the build cache's prune.

The context goes out as a chunked tar stream; the answer is JSON-lines progress
(``aux`` carries the image ID). Build secrets (``RUN --mount=type=secret``) travel
in pallet's ``X-Pallet-Build-Secrets`` header: base64url JSON of ``{id: value}``.
"""

from __future__ import annotations

from pallet.client.resource import Resource, filters_query, flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from pallet.api.responses import BuildCachePruned
    from pallet.client.http import Body, Response
    from pallet.notation.filters import Filters

SECRETS_HEADER = "X-Pallet-Build-Secrets"


class Build(Resource):
    """``/build`` and ``/build/prune``."""

    def build(
        self,
        context: Body,
        *,
        tags: list[str] | None = None,
        dockerfile: str | None = None,
        buildargs: Mapping[str, str | None] | None = None,
        labels: Mapping[str, str] | None = None,
        target: str | None = None,
        nocache: bool = False,
        quiet: bool = False,
        networkmode: str | None = None,
        pull: bool = False,
        platform: str | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> Response:
        """Send the context tar; the answer streams the build's progress."""
        import json

        q: dict[str, Any] = {
            "t": tags or None, "dockerfile": dockerfile or None,
            "buildargs": json.dumps(dict(buildargs)) if buildargs else None,
            "labels": json.dumps(dict(labels)) if labels else None,
            "target": target or None, "nocache": flag(nocache), "q": flag(quiet),
            "networkmode": networkmode or None, "pull": flag(pull),
            "platform": platform or None,
        }
        headers = {"Content-Type": "application/x-tar"}
        if secrets:
            import base64

            headers[SECRETS_HEADER] = base64.urlsafe_b64encode(
                json.dumps(dict(secrets)).encode()).decode().rstrip("=")
        return self._call("POST", "/build", q, body=context, headers=headers)

    def prune(self, all: bool = False, filters: Filters | None = None) -> BuildCachePruned:
        from pallet.api.responses import BuildCachePruned

        q = {"all": flag(all), "filters": filters_query(filters)}
        return self._typed(BuildCachePruned, "POST", "/build/prune", q)
