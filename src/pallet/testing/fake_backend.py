"""An in-memory :class:`~pallet.server.backend.Backend` for route and client tests.

:class:`FakeBackend` joins the container and exec routes (:mod:`.fake_containers`, with
its tiny "process" model) and the image routes (:mod:`.fake_images`) over the shared
state of :mod:`.fake_state`, and serves the system routes (version, info, events, df)
itself. Tests can script a container's output with :meth:`FakeBackend.emit` and
:meth:`FakeBackend.exit`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import msgspec

from pallet.api.responses import Event
from pallet.api.view_system import ComponentVersion, PlatformInfo, SystemInfo, SystemVersion
from pallet.notation.filters import Filters
from pallet.testing.fake_containers import FakeContainerOps
from pallet.testing.fake_images import FakeImageOps


class FakeBackend(FakeContainerOps, FakeImageOps):
    """Implements every Backend protocol in memory (system routes here, the rest mixed in)."""

    async def version(self) -> SystemVersion:
        return SystemVersion(
            Platform=PlatformInfo(Name="pallet"), Version="0.1.0", ApiVersion="1.44",
            MinAPIVersion="1.24", Os="linux", Arch="amd64", KernelVersion="6.1",
            GitCommit="fake", GoVersion="n/a",
            Components=[ComponentVersion(Name="Engine", Version="0.1.0", Details={
                "ApiVersion": "1.44", "MinAPIVersion": "1.24"})])

    async def info(self) -> SystemInfo:
        running = sum(c.status == "running" for c in self.containers.values())
        return SystemInfo(ID="fake", Containers=len(self.containers), ContainersRunning=running,
                          Images=len(self.images), Driver="overlay", OperatingSystem="fake",
                          OSType="linux", Name="fake")

    async def events(self, since: float | None, until: float | None, filters: Filters
                     ) -> AsyncIterator[Event]:
        sent = 0
        while True:
            while sent < len(self.event_log):
                ev = self.event_log[sent]
                sent += 1
                if since is not None and ev["time"] < int(since):
                    continue
                if until is not None and ev["time"] > until:
                    return
                if "type" in filters and ev["Type"] not in filters["type"]:
                    continue
                yield msgspec.convert(ev, Event)
            if until is not None and time.time() >= until:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=0.2)
            except TimeoutError:
                pass

