"""``docker commit`` and ``docker diff``: a container's writable layer as changes or as a
new image, with the container left as it was.

A commit pauses a running container first when asked (``pause``, dockerd's default)
and unpauses it afterwards, also when the commit fails. Volumes, bind mounts and
the per-container ``/etc`` files are not part of the layer (see ``images.rwlayer``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import msgspec

from pallet.api.responses import FilesystemChange
from pallet.engine.commitconfig import CommitRequest, image_doc, new_config
from pallet.engine.containers import ContainerService
from pallet.engine.lifecycle import State
from pallet.engine.reconcile import PAUSED_BY_COMMIT
from pallet.engine.records import Container
from pallet.errors import Conflict, InvalidArgument, NotFound, PalletError
from pallet.images import rwlayer
from pallet.images.service import ImageService
from pallet.notation.times import now_rfc3339
from pallet.oci import reference

log = logging.getLogger(__name__)




def target_name(repo: str, tag: str) -> str | None:
    """``repo[:tag]`` as a normalised reference (None without a repo); 400 when invalid."""
    if not repo:
        if tag:
            raise InvalidArgument("tag is specified without a repository")
        return None
    if not tag and ":" in repo.rsplit("/", 1)[-1]:
        repo, tag = repo.rsplit(":", 1)
    ref = reference.parse(f"{repo}:{tag or 'latest'}")
    if ref.digest:
        raise InvalidArgument("refusing to create a tag with a digest reference")
    return str(ref)


_EXIT_NOTICE_POLLS = 40  # 2 s for the exit of a process that ended to be recorded

class CommitService:
    def __init__(self, containers: ContainerService, images: ImageService) -> None:
        self.containers = containers
        self.images = images

    def _mountpoints(self, c: Container) -> list[str]:
        """The mount destinations of the container's last start (none if never started)."""
        try:
            spec = json.loads((self.containers.bundle(c.id) / "config.json").read_text())
        except (OSError, ValueError):
            return []
        return [str(m.get("destination", "")) for m in spec.get("mounts") or []]

    def _rw(self, c: Container) -> rwlayer.RwLayer:
        if c.status in (State.DEAD, State.REMOVING):
            what = "Dead" if c.status == State.DEAD else "being removed"
            raise Conflict(f"You cannot commit container {c.id} which is {what}")
        try:
            return rwlayer.open_rw(self.images, c.id, self._mountpoints(c))
        except NotFound:
            raise Conflict(f"container {c.id} has no writable layer") from None

    async def changes(self, ref: str) -> list[FilesystemChange]:
        """``GET /containers/{id}/changes``: ``[{"Path": ..., "Kind": 0|1|2}]``."""
        c = self.containers.resolve(ref)
        if c.status in (State.DEAD, State.REMOVING):
            raise Conflict(f"container {c.id} is {c.status.value}")

        def read() -> list[FilesystemChange]:
            return [ch.wire() for ch in rwlayer.changes(self._rw(c))]

        return await asyncio.to_thread(read)

    async def commit(self, ref: str, req: CommitRequest) -> str:
        """``POST /commit``; returns the new image ID."""
        c = self.containers.resolve(ref)
        name = target_name(req.repo, req.tag)
        ctr_cfg: dict[str, Any] = msgspec.to_builtins(c.config)
        config = new_config(ctr_cfg, req)  # bad changes: 400 before any work
        paused = False
        marker = self.containers.bundle(c.id) / PAUSED_BY_COMMIT  # a restart unpauses
        if req.pause and c.status == State.RUNNING:
            marker.touch()
            try:
                await self.containers.pause(c.id)
                paused = True
            except PalletError:
                if not await self._exited_meanwhile(c.id):
                    marker.unlink(missing_ok=True)
                    raise
        try:
            image_id = await asyncio.to_thread(self._commit, c, config, ctr_cfg, req)
        finally:
            if paused:
                try:
                    await self.containers.unpause(c.id)
                except PalletError as e:  # it may have been stopped or removed meanwhile
                    log.warning("unpausing %s after commit: %s", c.short_id, e.message)
            marker.unlink(missing_ok=True)
        if name:
            await asyncio.to_thread(self.images.tag, image_id, name)
        attrs = {"name": c.name, "image": c.config.Image, **(c.config.Labels or {}),
                 "comment": req.comment, "imageID": image_id,
                 "imageRef": reference.familiar(name) if name else ""}
        self.containers.events.publish("container", "commit", c.id, attrs)
        if name:
            self.containers.events.publish("image", "tag", image_id,
                                           {"name": reference.familiar(name)})
        return image_id

    async def _exited_meanwhile(self, cid: str) -> bool:
        """After a failed pause: did the process end (its exit not yet recorded)?"""
        for _ in range(_EXIT_NOTICE_POLLS):
            if self.containers.resolve(cid).status != State.RUNNING:
                return True
            await asyncio.sleep(0.05)
        return False

    def _commit(self, c: Container, config: dict[str, Any], ctr_cfg: dict[str, Any],
                req: CommitRequest) -> str:
        rw = self._rw(c)
        try:
            parent = self.images.get(c.image_id)
        except NotFound:
            raise Conflict(f"the image of container {c.short_id} was removed") from None
        created = now_rfc3339()

        def make(empty: bool) -> dict[str, Any]:
            return image_doc(parent.config, config, ctr_cfg, req, created, empty,
                             container=c.id, parent_id=parent.id)

        return rwlayer.commit_rw(self.images, rw, list(parent.layers), make)
