"""Classic builds from the docker CLI (DOCKER_BUILDKIT=0) and docker-py against palletd."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.compat

DOCKERFILE = """\
FROM busybox AS build
ARG NAME=world
COPY greeting.txt /src/
RUN sed "s/NAME/$NAME/" /src/greeting.txt > /artifact
FROM busybox
COPY --from=build /artifact /artifact
LABEL stage=final
CMD ["cat", "/artifact"]
"""


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "greeting.txt").write_text("hello NAME\n")
    (ctx / ".dockerignore").write_text("*.tmp\n")
    (ctx / "junk.tmp").write_text("junk")
    return ctx


def test_docker_cli_classic_build(docker: Any, palletd: Any, cleanup: Any,
                                  tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    cleanup.image("compat-build:1")
    first = docker("build", "-t", "compat-build:1", "--build-arg", "NAME=docker", str(ctx),
                   timeout=180)
    assert "Step 1/8 : FROM busybox AS build" in first.stdout
    assert "Successfully tagged compat-build:1" in first.stdout
    t0 = time.monotonic()
    again = docker("build", "-t", "compat-build:1", "--build-arg", "NAME=docker", str(ctx))
    elapsed = time.monotonic() - t0
    assert again.stdout.count("Using cache") == 5, again.stdout  # ARG shows no cache line
    print(f"\ndocker CLI fully cached rebuild: {elapsed:.2f}s")
    quiet = docker("build", "-q", "--build-arg", "NAME=docker", str(ctx))
    image_id = quiet.stdout.strip()
    assert image_id.startswith("sha256:")
    inspect = palletd.json("GET", "/images/compat-build:1/json")
    assert inspect["Id"] == image_id
    assert inspect["Config"]["Labels"] == {"stage": "final"}
    run = palletd.pallet("run", "--rm", "compat-build:1")
    assert run.stdout == "hello docker\n"
    hist = docker("history", "compat-build:1").stdout
    assert "COPY --from=build /artifact /artifact" in hist


def test_docker_cli_build_error(docker: Any, tmp_path: Path) -> None:
    ctx = tmp_path / "bad"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo about-to-fail; exit 5\n")
    res = docker("build", str(ctx), check=False)
    assert res.returncode == 5  # the stream's errorDetail.code: the CLI exits with it
    assert "about-to-fail" in res.stdout
    assert "returned a non-zero code: 5" in res.stderr
    (ctx / "Dockerfile").write_text("FROM busybox\nFRM x\n")
    res = docker("build", str(ctx), check=False)
    assert res.returncode == 1 and "Dockerfile:2: unknown instruction: FRM" in res.stderr


def test_docker_py_build(dclient: Any, palletd: Any, cleanup: Any, tmp_path: Path) -> None:
    import docker as docker_py

    ctx = _context(tmp_path)
    cleanup.image("compat-py:1")
    image, logs = dclient.images.build(path=str(ctx), tag="compat-py:1",
                                       buildargs={"NAME": "py"}, labels={"via": "docker-py"})
    assert "compat-py:1" in image.tags
    text = "".join(chunk.get("stream", "") for chunk in logs)
    assert "Successfully built" in text
    assert image.labels == {"stage": "final", "via": "docker-py"}
    assert palletd.pallet("run", "--rm", "compat-py:1").stdout == "hello py\n"
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN exit 3\n")
    with pytest.raises(docker_py.errors.BuildError, match="non-zero code: 3"):
        dclient.images.build(path=str(ctx))
    report = dclient.api.prune_builds()
    assert "SpaceReclaimed" in report


def test_docker_cli_dockerfile_outside_context_and_compress(docker: Any, palletd: Any,
                                                            cleanup: Any,
                                                            tmp_path: Path) -> None:
    """``-f`` outside the context: the docker CLI injects ``.dockerfile.<id>`` (and lists
    it in ``.dockerignore``) in a tar without final padding; the daemon reads it and
    drops both, as dockerd does. ``--compress`` (gzip) rebuilds fully cached."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "f.txt").write_text("f\n")
    df = tmp_path / "elsewhere.Dockerfile"
    df.write_text('FROM busybox\nCOPY . /ctx/\nCMD ["ls", "-A", "/ctx"]\n')
    cleanup.image("compat-outside:1")
    docker("build", "-q", "-t", "compat-outside:1", "-f", str(df), str(ctx), timeout=180)
    assert palletd.pallet("run", "--rm", "compat-outside:1").stdout == "f.txt\n"
    first = docker("build", "--compress", "-t", "compat-outside:1", "-f", str(df), str(ctx))
    assert first.stdout.count("Using cache") == 2, first.stdout
    image_id = docker("build", "-q", "--compress", "-f", str(df), str(ctx)).stdout.strip()
    assert palletd.json("GET", "/images/compat-outside:1/json")["Id"] == image_id
