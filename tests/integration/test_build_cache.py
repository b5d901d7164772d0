"""The build cache in-process (builder + real image store, plain-copy snapshots): a fully
cached rebuild reads the context tar and never extracts it; a change reruns from the first
step that uses it; ``.dockerignore`` drops the Dockerfile as Docker's daemon does.

Root: COPY bind-mounts snapshots. No RUN steps (the worker refuses them).
"""

from __future__ import annotations

import asyncio
import os
import tarfile
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pallet.build.buildcontext import BuildContext
from pallet.build.cache import BuildCache
from pallet.build.executor import Builder, BuildOptions
from pallet.build.worker import Output, RunResult, RunSpec
from pallet.images.service import ImageService
from pallet.snapshots.mount import is_mounted, unmount
from pallet.snapshots.naive import NaiveSnapshotter
from pallet.system.db import Database
from pallet.system.paths import Paths

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for bind mounts"),
]

DOCKERFILE = """\
FROM scratch
ENV A=1
COPY a.txt /a.txt
COPY b /b/
LABEL l=1
"""


@dataclass
class Worker:
    images: ImageService
    state_dir: Path
    scratch_dir: Path

    def run(self, spec: RunSpec, output: Output) -> AbstractAsyncContextManager[RunResult]:
        raise AssertionError("no RUN step in these builds")


@dataclass
class Result:
    image_id: str
    text: str
    extracted: bool

    @property
    def cached(self) -> int:
        return self.text.count("Using cache")


class Env:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ctx = tmp / "ctx"
        self.ctx.mkdir()
        paths = Paths(root=tmp / "root", run=tmp / "run")
        self.db = Database(paths.db)
        self.images = ImageService(self.db, paths, snapshotter=NaiveSnapshotter(paths.snapshots))
        self.scratch = tmp / "scratch"
        self.builder = Builder(Worker(self.images, tmp / "state", self.scratch),
                               BuildCache(self.db))
        self.n = 0

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            (self.ctx / name).parent.mkdir(parents=True, exist_ok=True)
            (self.ctx / name).write_text(text)

    def build(self, dockerfile: str = DOCKERFILE) -> Result:
        (self.ctx / "Dockerfile").write_text(dockerfile)
        self.n += 1
        tar = self.tmp / f"ctx-{self.n}.tar"
        with tarfile.open(tar, "w", format=tarfile.PAX_FORMAT) as tf:
            for dirpath, dirnames, filenames in os.walk(self.ctx):
                dirnames.sort()
                for name in sorted(dirnames + filenames):
                    full = Path(dirpath) / name
                    tf.add(full, full.relative_to(self.ctx).as_posix(), recursive=False)
        msgs: list[dict[str, Any]] = []

        async def emit(m: dict[str, Any]) -> None:
            msgs.append(m)

        ctx = BuildContext.open(tar, self.tmp / f"work-{self.n}")
        try:
            image_id = asyncio.run(self.builder.build(
                ctx, BuildOptions(), emit, lambda: self.tmp / "private"))
            extracted = ctx.extracted
        finally:
            ctx.close()
        assert not ctx.work.exists()
        return Result(image_id, "".join(m.get("stream", "") for m in msgs), extracted)

    def file(self, image_id: str, path: str) -> str:
        img = self.images.get(image_id)
        tree = self.images.snapshotter.path(img.layers[-1].chain_id)  # type: ignore[attr-defined]
        return (tree / path.lstrip("/")).read_text()

    def close(self) -> None:
        if self.scratch.is_dir():
            for d in self.scratch.iterdir():
                if is_mounted(d):
                    unmount(d)
        self.db.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    try:
        yield e
    finally:
        e.close()


def test_fully_cached_rebuild_never_extracts(env: Env) -> None:
    env.write({"a.txt": "a", "b/x.txt": "x", "b/sub/y.txt": "y"})
    first = env.build()
    assert first.cached == 0 and first.extracted
    again = env.build()
    assert again.cached == 4 and not again.extracted
    assert again.image_id == first.image_id
    assert "Successfully built" in again.text


def test_changed_file_reruns_from_first_step_using_it(env: Env) -> None:
    env.write({"a.txt": "a", "b/x.txt": "x", "c.txt": "not copied"})
    first = env.build()
    env.write({"c.txt": "changed but not copied"})
    unrelated = env.build()
    assert unrelated.cached == 4 and unrelated.image_id == first.image_id
    env.write({"b/x.txt": "X"})
    changed = env.build()
    # ENV and COPY a.txt from the cache; COPY b and LABEL run again
    assert changed.cached == 2 and changed.extracted
    assert changed.text.index("COPY b /b/") > changed.text.rindex("Using cache")
    assert changed.image_id != first.image_id
    assert env.file(changed.image_id, "/b/x.txt") == "X"
    assert env.build().image_id == changed.image_id  # and that is cached in turn


def test_metadata_is_in_the_key_but_mtime_is_not(env: Env) -> None:
    env.write({"a.txt": "a", "b/x.txt": "x"})
    first = env.build()
    os.utime(env.ctx / "b" / "x.txt", (1, 1))
    assert env.build().image_id == first.image_id
    os.chmod(env.ctx / "b" / "x.txt", 0o600)
    moded = env.build()
    assert moded.cached == 2 and moded.image_id != first.image_id


def test_glob_rename_with_same_content_reruns(env: Env) -> None:
    df = "FROM scratch\nCOPY *.txt /d/\n"
    env.write({"a.txt": "same"})
    first = env.build(df)
    os.rename(env.ctx / "a.txt", env.ctx / "z.txt")
    renamed = env.build(df)
    assert renamed.cached == 0 and renamed.image_id != first.image_id
    assert env.file(renamed.image_id, "/d/z.txt") == "same"


def test_dockerignore_drops_dockerfile_and_itself(env: Env) -> None:
    env.write({".dockerignore": "Dockerfile\n.dockerignore\n", "kept.txt": "k"})
    res = env.build("FROM scratch\nCOPY . /ctx/\n")
    tree = env.images.snapshotter.path(  # type: ignore[attr-defined]
        env.images.get(res.image_id).layers[-1].chain_id)
    assert sorted(os.listdir(tree / "ctx")) == ["kept.txt"]
