"""The container side of volumes: resolve mounts at create, bind them at start,
copy the image's content into a new volume, remove anonymous ones on ``rm -v``.

State in ``Container.extras.volumes`` (``VolumeState``): ``mounts`` (the mount points,
``pallet.volumes.mounts.MountPoint``) and ``anonymous`` (volumes created for this
container).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import msgspec

from pallet.api.view_containers import ContainerView
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.pluginstate import VolumeState
from pallet.engine.records import Container, now_rfc3339
from pallet.errors import InvalidArgument
from pallet.volumes import mounts as mp_
from pallet.volumes.copyup import CopyUp, copy_up
from pallet.volumes.store import VolumeStore

KEY = "volumes"


class Records(Protocol):
    def resolve(self, ref: str) -> Container: ...

    def all(self) -> list[Container]: ...


def mounts_of(c: Container) -> list[mp_.MountPoint]:
    """The container's mount points (none if the volume plugin never saw it)."""
    return c.extras.volumes.mounts if c.extras.volumes else []


def users_of(records: Records, name: str, but: str = "") -> list[str]:
    """IDs of containers that mount volume ``name``."""
    out = []
    for c in records.all():
        if c.id == but:
            continue
        for mp in mounts_of(c):
            if mp.type == "volume" and mp.name == name:
                out.append(c.id)
                break
    return out


class VolumePlugin(Plugin):
    name = KEY

    def __init__(self, store: VolumeStore, records: Records,
                 rootfs_of: Callable[[str], Path]) -> None:
        self.store = store
        self.records = records
        self.rootfs_of = rootfs_of
        # one copy-up per volume at a time: containers sharing a new volume start together
        self._populating: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def created(self, c: Container) -> None:
        hc = c.host_config
        inherited: list[mp_.MountPoint] = []
        for spec in hc.VolumesFrom or []:
            other = self.records.resolve(spec.split(":", 1)[0])
            inherited += mp_.from_volumes_from(spec, mounts_of(other))
        points = mp_.merge(hc.Binds or [], hc.Mounts or [], inherited,
                           list((c.config.Volumes or {}).keys()), list(hc.Tmpfs or {}))
        created: list[str] = []
        for i, mp in enumerate(points):
            if mp.type == "volume":
                anonymous = mp.anonymous or not mp.name
                rec = self.store.create(mp.name, now_rfc3339(), mp.labels, anonymous=anonymous)
                if anonymous and not mp.name:
                    created.append(rec.name)
                points[i] = msgspec.structs.replace(
                    mp, name=rec.name, source=str(self.store.path(rec.name)), labels=None,
                    anonymous=False)
            elif mp.type == "bind":
                src = Path(mp.source)
                if not src.exists():
                    if not mp.create_host_path:
                        raise InvalidArgument(f"invalid mount config for type \"bind\": bind "
                                              f"source path does not exist: {src}")
                    src.mkdir(parents=True, exist_ok=True)
        c.extras.volumes = VolumeState(mounts=points, anonymous=created)

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        for mp in mounts_of(c):
            if mp.type == "volume":
                self.store.resolve(mp.name)
                if not mp.nocopy:
                    async with self._populating[mp.name]:
                        await asyncio.to_thread(self._populate, c.id, mp)
            ctx.mounts.append(mp_.oci_mount(mp))

    def _populate(self, cid: str, mp: mp_.MountPoint) -> None:
        """Docker's copy-up: an empty volume gets the image's directory at the mount point.

        The volume counts as populated once it took a directory or was found holding data,
        so a volume first mounted where the image has nothing still takes the content of a
        later container's image, and a volume a user emptied is not filled again.
        """
        rec = self.store.resolve(mp.name)
        if rec.populated:
            return
        outcome = copy_up(self.rootfs_of(cid), mp.destination, self.store.path(rec.name))
        if outcome is not CopyUp.NO_SOURCE:
            rec.populated = True
            self.store.save(rec)

    async def removed(self, c: Container, volumes: bool) -> None:
        if not (volumes or c.host_config.AutoRemove):
            return
        for name in c.extras.volumes.anonymous if c.extras.volumes else []:
            if not users_of(self.records, name, but=c.id):
                self.store.delete(name)

    def decorate(self, c: Container, view: ContainerView) -> None:
        view.Mounts = [mp_.public(mp) for mp in mounts_of(c)]
