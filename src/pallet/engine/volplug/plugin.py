"""The container side of volumes: resolve mounts at create, bind them at start,
copy the image's content into a new volume, remove anonymous ones on ``rm -v``.

State in ``Container.extras["volumes"]``: ``mounts`` (mount points, see
``pallet.volumes.mounts``) and ``anonymous`` (volumes created for this container).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import msgspec

from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container, now_rfc3339
from pallet.errors import InvalidArgument
from pallet.volumes import mounts as mp_
from pallet.volumes.copyup import CopyUp, copy_up
from pallet.volumes.store import VolumeStore

KEY = "volumes"


class Records(Protocol):
    def resolve(self, ref: str) -> Container: ...

    def all(self) -> list[Container]: ...


def users_of(records: Records, name: str, but: str = "") -> list[str]:
    """IDs of containers that mount volume ``name``."""
    out = []
    for c in records.all():
        if c.id == but:
            continue
        for mp in c.extras.get(KEY, {}).get("mounts", []):
            if mp.get("Type") == "volume" and mp.get("Name") == name:
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
        inherited: list[dict[str, Any]] = []
        for spec in hc.VolumesFrom or []:
            other = self.records.resolve(spec.split(":", 1)[0])
            inherited += mp_.from_volumes_from(spec, other.extras.get(KEY, {}).get("mounts", []))
        mounts = [msgspec.to_builtins(m) for m in hc.Mounts or []]
        points = mp_.merge(hc.Binds or [], mounts, inherited,
                           list((c.config.Volumes or {}).keys()), list(hc.Tmpfs or {}))
        created: list[str] = []
        for mp in points:
            if mp["Type"] == "volume":
                anonymous = bool(mp.get("anonymous")) or not mp.get("Name")
                rec = self.store.create(mp.get("Name") or "", now_rfc3339(),
                                        mp.pop("labels", None), anonymous=anonymous)
                if anonymous and not mp.get("Name"):
                    created.append(rec.name)
                mp["Name"] = rec.name
                mp["Source"] = str(self.store.path(rec.name))
                mp.pop("anonymous", None)
            elif mp["Type"] == "bind":
                src = Path(mp["Source"])
                if not src.exists():
                    if not mp.get("create_host_path"):
                        raise InvalidArgument(f"invalid mount config for type \"bind\": bind "
                                              f"source path does not exist: {src}")
                    src.mkdir(parents=True, exist_ok=True)
        c.extras[KEY] = {"mounts": points, "anonymous": created}

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        st = c.extras.get(KEY) or {}
        for mp in st.get("mounts", []):
            if mp["Type"] == "volume":
                self.store.resolve(mp["Name"])
                if not mp.get("nocopy"):
                    async with self._populating[mp["Name"]]:
                        await asyncio.to_thread(self._populate, c.id, mp)
            ctx.mounts.append(mp_.oci_mount(mp))

    def _populate(self, cid: str, mp: dict[str, Any]) -> None:
        """Docker's copy-up: an empty volume gets the image's directory at the mount point.

        The volume counts as populated once it took a directory or was found holding data,
        so a volume first mounted where the image has nothing still takes the content of a
        later container's image, and a volume a user emptied is not filled again.
        """
        rec = self.store.resolve(mp["Name"])
        if rec.populated:
            return
        outcome = copy_up(self.rootfs_of(cid), mp["Destination"], self.store.path(rec.name))
        if outcome is not CopyUp.NO_SOURCE:
            rec.populated = True
            self.store.save(rec)

    async def removed(self, c: Container, volumes: bool) -> None:
        if not (volumes or c.host_config.AutoRemove):
            return
        for name in (c.extras.get(KEY) or {}).get("anonymous", []):
            if not users_of(self.records, name, but=c.id):
                self.store.delete(name)

    def decorate(self, c: Container, view: dict[str, Any], kind: str) -> None:
        points = (c.extras.get(KEY) or {}).get("mounts", [])
        view["Mounts"] = [mp_.public(mp) for mp in points]
