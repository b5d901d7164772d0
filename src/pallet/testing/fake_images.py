"""Image routes of the fake backend: a tag -> image-record map, pull from a fixed set.

Only ``busybox`` (and whatever a test adds to ``pullable``) can be pulled; load and
import add a tag; save returns an empty ``manifest.json`` archive.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec

from pallet.api.responses import HistoryItem, ImageDeleted, ImagesPruned
from pallet.api.view_config import ConfigView
from pallet.api.view_images import ImageInspect, ImageSummary
from pallet.errors import InvalidArgument, NotFound
from pallet.notation.filters import Filters
from pallet.server.backend import Wire
from pallet.testing.fake_state import FakeState, tar_of


class FakeImageOps(FakeState):
    """The image Backend routes over :class:`FakeState`."""

    async def images_list(self, all: bool, filters: Filters, digests: bool
                          ) -> builtins.list[ImageSummary]:
        seen: dict[str, Wire] = {}
        for image in self.images.values():
            seen.setdefault(image["Id"], image)
        return [msgspec.convert(image, ImageSummary) for image in seen.values()]

    async def image_inspect(self, ref: str) -> ImageInspect:
        image = self._image(ref)
        return ImageInspect(Id=image["Id"], RepoTags=list(image["RepoTags"]),
                            RepoDigests=list(image["RepoDigests"]),
                            Created="2024-01-01T00:00:00Z", Config=ConfigView(Cmd=["sh"]),
                            Os="linux", Architecture="amd64", Size=image["Size"])

    async def image_history(self, ref: str) -> builtins.list[HistoryItem]:
        image = self._image(ref)
        return [HistoryItem(Id=image["Id"], Created=0, CreatedBy="fake",
                            Tags=image["RepoTags"], Size=image["Size"], Comment="")]

    async def image_tag(self, ref: str, repo: str, tag: str) -> None:
        image = self._image(ref)
        new = f"{repo}:{tag or 'latest'}"
        self.images[new] = {**image, "RepoTags": [*image["RepoTags"], new]}

    async def image_remove(self, ref: str, force: bool, noprune: bool
                           ) -> builtins.list[ImageDeleted]:
        image = self._image(ref)
        tags = [k for k, v in self.images.items() if v["Id"] == image["Id"]]
        for k in tags:
            del self.images[k]
        return [*(ImageDeleted(Untagged=t) for t in tags), ImageDeleted(Deleted=image["Id"])]

    async def images_prune(self, filters: Filters) -> ImagesPruned:
        return ImagesPruned(ImagesDeleted=[], SpaceReclaimed=0)

    async def image_save(self, refs: builtins.list[str]) -> AsyncIterator[bytes]:
        for ref in refs:
            self._image(ref)
        yield tar_of("manifest.json", b"[]")

    async def image_load(self, archive: Path, quiet: bool) -> builtins.list[str]:
        data = archive.read_bytes()
        if len(data) < 512:
            raise InvalidArgument("unexpected EOF")
        self.loaded.append(archive)
        self.add_image("loaded:latest")
        return ["Loaded image: loaded:latest"]

    async def image_import(self, archive: Path, repo: str, tag: str, changes: builtins.list[str],
                           message: str) -> str:
        image = self.add_image(f"{repo}:{tag or 'latest'}" if repo else "<none>:<none>")
        return str(image["Id"])

    async def image_pull(self, image: str, tag: str, auth: str, platform: str = "",
                         all_tags: bool = False) -> AsyncIterator[Wire]:
        if image not in self.pullable:
            raise NotFound(f"pull access denied for {image}, repository does not exist")

        async def gen() -> AsyncIterator[Wire]:
            ref = f"{image}:{tag or 'latest'}"
            yield {"status": f"Pulling from {image}", "id": tag or "latest"}
            yield {"status": "Digest: sha256:" + "0" * 64}
            self.add_image(ref)
            yield {"status": f"Status: Downloaded newer image for {ref}"}

        return gen()

    async def image_bootstrap(self, name: str) -> str:
        if name not in self.pullable:
            raise InvalidArgument(f"cannot bootstrap {name!r}")
        ref = name if ":" in name else f"{name}:latest"
        return str(self.add_image(ref)["Id"])

    def spool_dir(self) -> Path:
        return self._spool
