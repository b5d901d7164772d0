"""``client.containers``: list, create, inspect, the lifecycle verbs, wait, logs,
attach, top, prune, and commit/changes/export, stats and update.

This module is on the path of ``pallet run``, ``start -a`` and ``logs``, so it imports
no msgspec (that costs a ``pallet run`` about 15 ms): the answers those commands
read (``ContainerCreated``, ``WaitStatus``) are plain slotted classes, the ``Struct``
answers of the rarer verbs are decoded with a local import. Inspect and list give
the daemon's documents as sent: the CLI prints and formats them as they are.
"""

from __future__ import annotations

from pallet.client.resource import Resource, decode_list, filters_query, flag, path, typed_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    import builtins
    from collections.abc import Iterator
    from typing import Any

    from pallet.api.models import CreateRequest, UpdateConfig
    from pallet.api.responses import (
        ContainersPruned,
        ContainerTop,
        FilesystemChange,
        IdResponse,
        UpdateResponse,
    )
    from pallet.api.view_stats import ContainerStats
    from pallet.client.hijack import Hijacked
    from pallet.client.http import Response
    from pallet.notation.filters import Filters


class ContainerCreated:
    """``POST /containers/create``: the new ID and the daemon's warnings."""

    __slots__ = ("Id", "Warnings")

    def __init__(self, doc: dict[str, Any]) -> None:
        self.Id = str(doc["Id"])
        self.Warnings: list[str] = list(doc.get("Warnings") or [])


class WaitStatus:
    """``POST /containers/{id}/wait``: the exit code and the error message, if any."""

    __slots__ = ("Error", "StatusCode")

    def __init__(self, doc: Any) -> None:
        doc = doc if isinstance(doc, dict) else {}
        self.StatusCode = int(doc.get("StatusCode") or 0)
        error = doc.get("Error")
        self.Error: str = str(error.get("Message") or "") if isinstance(error, dict) else ""


class PendingWait:
    """A wait sent now and read later (its headers mean the daemon registered it)."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def result(self) -> WaitStatus:
        return WaitStatus(self.response.json())

    def close(self) -> None:
        self.response.close()


class Containers(Resource):
    """The ``/containers`` endpoints (and ``/commit``)."""

    def list(self, all: bool = False, limit: int = -1, size: bool = False,
             filters: Filters | None = None) -> builtins.list[dict[str, Any]]:
        q = {"all": flag(all), "limit": limit if limit > 0 else None, "size": flag(size),
             "filters": filters_query(filters)}
        items: builtins.list[dict[str, Any]] = self._json("GET", "/containers/json", q) or []
        return items

    def create(self, body: dict[str, Any] | CreateRequest, name: str | None = None,
               platform: str | None = None) -> ContainerCreated:
        """``body`` is the wire dict or a ``pallet.api.models.CreateRequest``."""
        q = {"name": name or None, "platform": platform or None}
        return ContainerCreated(self._json("POST", "/containers/create", q, json_body=body))

    def inspect(self, ref: str, size: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = self._json("GET", path("/containers/{}/json", ref),
                                         {"size": flag(size)})
        return doc

    def start(self, ref: str) -> None:
        self._done("POST", path("/containers/{}/start", ref))

    def stop(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self._done("POST", path("/containers/{}/stop", ref),
                   {"t": timeout, "signal": signal or None})

    def restart(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self._done("POST", path("/containers/{}/restart", ref),
                   {"t": timeout, "signal": signal or None})

    def kill(self, ref: str, signal: str | None = None) -> None:
        self._done("POST", path("/containers/{}/kill", ref), {"signal": signal or None})

    def pause(self, ref: str) -> None:
        self._done("POST", path("/containers/{}/pause", ref))

    def unpause(self, ref: str) -> None:
        self._done("POST", path("/containers/{}/unpause", ref))

    def rename(self, ref: str, name: str) -> None:
        self._done("POST", path("/containers/{}/rename", ref), {"name": name})

    def resize(self, ref: str, height: int, width: int) -> None:
        self._done("POST", path("/containers/{}/resize", ref), {"h": height, "w": width})

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        self._done("DELETE", path("/containers/{}", ref),
                   {"force": flag(force), "v": flag(volumes)})

    def wait(self, ref: str, condition: str | None = None) -> PendingWait:
        """Send the wait; its answer comes once the condition is met."""
        q = {"condition": condition or None}
        return PendingWait(self._call("POST", path("/containers/{}/wait", ref), q))

    def top(self, ref: str, ps_args: str | None = None) -> ContainerTop:
        from pallet.api.responses import ContainerTop

        return self._typed(ContainerTop, "GET", path("/containers/{}/top", ref),
                           {"ps_args": ps_args or None})

    def logs(self, ref: str, *, follow: bool = False, stdout: bool = True, stderr: bool = True,
             since: str | None = None, until: str | None = None, timestamps: bool = False,
             tail: str | None = None, details: bool = False) -> Response:
        """The log stream (multiplexed unless the container has a TTY)."""
        q = {"follow": flag(follow), "stdout": flag(stdout), "stderr": flag(stderr),
             "since": since or None, "until": until or None, "timestamps": flag(timestamps),
             "tail": tail or None, "details": flag(details)}
        return self._call("GET", path("/containers/{}/logs", ref), q)

    def attach(self, ref: str, stdin: bool, stdout: bool, stderr: bool) -> Hijacked:
        q = {"stdin": flag(stdin), "stdout": flag(stdout), "stderr": flag(stderr),
             "stream": True}
        from pallet.client.hijack import hijack  # (its framing: only for attach)

        return hijack(self.t, "POST", path("/containers/{}/attach", ref), q)

    def prune(self, filters: Filters | None = None) -> ContainersPruned:
        from pallet.api.responses import ContainersPruned

        return self._typed(ContainersPruned, "POST", "/containers/prune",
                           {"filters": filters_query(filters)})

    # filesystem and resources -----------------------------------------------
    def changes(self, ref: str) -> builtins.list[FilesystemChange]:
        from pallet.api.responses import FilesystemChange

        data = self._call("GET", path("/containers/{}/changes", ref)).read()
        return decode_list(data, FilesystemChange)

    def export(self, ref: str) -> Response:
        """The container's filesystem as a tar stream."""
        return self._call("GET", path("/containers/{}/export", ref))

    def commit(self, ref: str, *, repo: str | None = None, tag: str | None = None,
               comment: str | None = None, author: str | None = None, pause: bool = True,
               changes: builtins.list[str] | None = None) -> IdResponse:
        """``POST /commit``: a new image from the container's changes."""
        from pallet.api.responses import IdResponse

        q = {"container": ref, "repo": repo or None, "tag": tag or None,
             "comment": comment or None, "author": author or None,
             "pause": pause, "changes": changes or None}
        return self._typed(IdResponse, "POST", "/commit", q)

    def stats(self, ref: str, stream: bool = True) -> Iterator[ContainerStats]:
        """Resource-usage samples as the daemon sends them (about one a second with
        ``stream``, else one); the iterator's ``close`` ends the request."""
        from pallet.api.view_stats import ContainerStats

        resp = self._call("GET", path("/containers/{}/stats", ref), {"stream": stream})
        return typed_lines(resp, ContainerStats)

    def stats_once(self, ref: str) -> ContainerStats | None:
        """One sample (``stream=false``); None if the daemon sent none."""
        samples = list(self.stats(ref, stream=False))
        return samples[-1] if samples else None

    def update(self, ref: str, config: dict[str, Any] | UpdateConfig) -> UpdateResponse:
        """``POST /containers/{id}/update``: resources and the restart policy."""
        from pallet.api.responses import UpdateResponse

        return self._typed(UpdateResponse, "POST", path("/containers/{}/update", ref),
                           json_body=config)
