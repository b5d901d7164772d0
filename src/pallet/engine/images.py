"""Image operations as the API offers them, with the engine's knowledge of
which containers use which image (the image store itself knows no containers).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import msgspec

from pallet.api.responses import HistoryItem, ImageDeleted, ImagesPruned
from pallet.api.view_images import ImageInspect, ImageSummary
from pallet.build.changes import apply_commit_changes
from pallet.engine.events import EventBus
from pallet.engine.records import ContainerStore
from pallet.engine.views import parse_time
from pallet.errors import Conflict, InvalidArgument, NotFound, sent_by_client
from pallet.images import views
from pallet.images.names import resolve_id
from pallet.images.service import ImageService
from pallet.notation.filters import Filters, labels_match
from pallet.notation.prunefilter import PRUNE_KEYS, prune_filter
from pallet.oci.reference import familiar, parse_reference

WireList = list[dict[str, Any]]
DeletedList = list[ImageDeleted]
HistoryList = list[HistoryItem]
StrList = list[str]
log = logging.getLogger(__name__)


class ImageOps:
    def __init__(self, images: ImageService, containers: ContainerStore,
                 events: EventBus, intermediate: Callable[[], set[str]] | None = None) -> None:
        self.svc = images
        # Build steps' parent images: Docker hides them from ``images`` (without -a)
        # and ``image prune`` keeps them (they are the build cache).
        self.intermediate = intermediate or set
        self.containers = containers
        self.events = events
        self._lock = threading.Lock()  # one writer thread at a time

    def _in_use(self, image_id: str) -> bool | str:
        """The short ID of a container using the image, or False."""
        cid = self.containers.uses_image(image_id)
        return cid[:12] if cid else False

    def _in_use_or_cache(self, image_id: str) -> bool | str:
        return self._in_use(image_id) or image_id in self.intermediate()

    def names_of(self, image_id: str) -> StrList:
        try:
            return [str(t) for t in self.svc.resolve(image_id).repo_tags]
        except NotFound:
            return []

    def size_of(self, image_id: str) -> int:
        try:
            return int(self.svc.resolve(image_id).size)
        except NotFound:
            return 0

    async def _run(self, fn: Any, *args: Any) -> Any:
        def locked() -> Any:
            with self._lock:
                return fn(*args)
        return await asyncio.to_thread(locked)

    async def count(self) -> int:
        return len(self.svc.list())

    async def list(self, all: bool, filters: Filters) -> list[ImageSummary]:
        out = []
        hidden = set() if all else self.intermediate()
        for img in self.svc.list():
            if img.id in hidden and not img.repo_tags:
                continue
            view = views.image_summary(img)
            if not _image_matches(view, filters):
                continue
            out.append(view)
        out.sort(key=lambda v: v.Created, reverse=True)
        return out

    async def inspect(self, ref: str) -> ImageInspect:
        return views.image_inspect(self.svc.resolve(ref))

    async def history(self, ref: str) -> HistoryList:
        return self.svc.history(ref)

    async def tag(self, ref: str, repo: str, tag: str) -> None:
        if not repo:
            raise InvalidArgument("repository name must have at least one component")
        target = f"{repo}:{tag or 'latest'}"
        parse_reference(target)
        img = self.svc.resolve(ref)
        await self._run(self.svc.tag, ref, target)
        self.events.publish("image", "tag", img.id, {"name": familiar(target)})

    async def remove(self, ref: str, force: bool, noprune: bool) -> DeletedList:
        img = self.svc.resolve(ref)
        _, by_id = resolve_id(self.svc.records, ref)
        untag_only = not by_id and len(self.svc.records.refs_of(img.id)) > 1
        if force and not untag_only:  # a name with others left only untags, as in Docker
            for c in self.containers.all():
                if c.image_id == img.id and c.running:
                    short = img.id.removeprefix("sha256:")[:12]
                    raise Conflict(
                        f"conflict: unable to delete {short} (cannot be forced) - image is "
                        f"being used by running container {c.id[:12]}")
        result = await self._run(self.svc.remove, ref, force, noprune, self._in_use)
        for item in result:
            for action, value in item.items():
                self.events.publish("image", "untag" if action == "Untagged" else "delete",
                                    value, {"name": value})
        return [msgspec.convert(r, ImageDeleted) for r in result]

    async def prune(self, filters: Filters) -> ImagesPruned:
        dangling = filters.get("dangling", ["true"])[0].lower() not in ("false", "0")
        prunable = prune_filter(filters, (*PRUNE_KEYS, "dangling"))

        def kept(image_id: str) -> bool | str:
            if used := self._in_use_or_cache(image_id):
                return used
            img = self.svc.get(image_id)
            labels = img.run_config.Labels or {}
            return not prunable(parse_time(img.created), labels)

        result = msgspec.convert(await self._run(self.svc.prune, dangling, kept), ImagesPruned)
        result.SpaceReclaimed += await self.collect()
        return result

    async def collect(self) -> int:
        """Sweep the store's garbage (roots: images and containers); the bytes freed, 0
        when operations are in flight (the sweep then runs once they end)."""
        def keep() -> list[str]:
            return [c.id for c in self.containers.all()]

        report = await asyncio.to_thread(self.svc.collect, keep)
        if report is None:
            return 0
        if report.snapshots or report.blobs:
            log.info("garbage collection: %d snapshot(s), %d blob(s), %d bytes",
                     report.snapshots, report.blobs, report.reclaimed)
        return report.reclaimed

    async def save(self, refs: StrList) -> AsyncIterator[bytes]:
        for ref in refs:
            self.svc.resolve(ref)  # 404 before streaming starts
        r, w = os.pipe()
        loop = asyncio.get_running_loop()

        def writer() -> None:
            with os.fdopen(w, "wb") as out:
                self.svc.save(refs, out)

        task = loop.run_in_executor(None, writer)
        reader = os.fdopen(r, "rb")
        try:
            while True:
                chunk = await loop.run_in_executor(None, reader.read, 1 << 20)
                if not chunk:
                    break
                yield chunk
            await task
        finally:
            reader.close()  # a client gone early: the writer then fails on a broken pipe
            task.add_done_callback(_retrieved)

    async def load(self, archive: Path) -> StrList:
        with sent_by_client("invalid image archive"):
            lines = await self._run(self.svc.load, archive)
        for line in lines:
            self.events.publish("image", "load", line.split(": ", 1)[-1], {})
        return [str(x) for x in lines]

    async def import_tar(self, archive: Path, repo: str, tag: str, changes: StrList,
                         message: str) -> str:
        if repo and not tag and ":" in repo.rsplit("/", 1)[-1]:
            repo, tag = repo.rsplit(":", 1)  # the docker CLI sends repo=name:tag&tag=
        ref = f"{repo}:{tag or 'latest'}" if repo else None
        config = apply_commit_changes({}, changes)  # the same --change rules as commit
        with sent_by_client("invalid archive to import"):
            image_id = await self._run(self.svc.import_tar, archive, ref, config, message)
        self.events.publish("image", "import", image_id, {})
        return str(image_id)

    async def bootstrap(self, name: str) -> str:
        image_id = await self._run(self.svc.bootstrap, name)
        return str(image_id)



def _retrieved(task: asyncio.Future[None]) -> None:
    """Mark a background writer's outcome as seen (its reader is gone)."""
    if not task.cancelled():
        task.exception()


def _image_matches(view: ImageSummary, filters: Filters) -> bool:
    for key, values in filters.items():
        if key == "dangling":
            want = values[0].lower() in ("true", "1")
            if want != (not view.RepoTags):
                return False
        elif key == "reference":
            import fnmatch
            kept = [t for t in view.RepoTags if any(
                fnmatch.fnmatch(t, v) or fnmatch.fnmatch(t.rsplit(":", 1)[0], v)
                for v in values)]
            if not kept:
                return False
            view.RepoTags = kept  # Docker lists only the tags that matched
        elif key == "label":
            if not labels_match(view.Labels, values):
                return False
        elif key not in ("before", "since", "until"):
            raise InvalidArgument(f"invalid filter '{key}'")
    return True
