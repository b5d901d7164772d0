"""Commit extension: ``docker commit``, ``diff`` and ``export`` over the engine's
containers and the image store (``server.routes_commit``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pallet.api.responses import FilesystemChange
from pallet.daemon.parts import Part, PartContext
from pallet.engine.commit import CommitService
from pallet.engine.commitconfig import CommitRequest
from pallet.engine.export import Exporter
from pallet.server.routes_commit import make_routes


class CommitBackend:
    """The ``CommitBackend`` of ``server.routes_commit``."""

    def __init__(self, commits: CommitService, exporter: Exporter) -> None:
        self.commits = commits
        self.exporter = exporter

    async def commit(self, ref: str, req: CommitRequest) -> str:
        return await self.commits.commit(ref, req)

    async def changes(self, ref: str) -> list[FilesystemChange]:
        return await self.commits.changes(ref)

    def export(self, ref: str) -> AsyncIterator[bytes]:
        return self.exporter.export(ref)


def install(ctx: PartContext) -> Part:
    be = CommitBackend(CommitService(ctx.containers, ctx.images), Exporter(ctx.containers))
    return Part("commit", routes=make_routes(be))
