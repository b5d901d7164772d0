"""``pallet build``'s streamed context against a real palletd: a Dockerfile from outside
the context (a file or stdin) never lands in ``COPY . .``, hardlinked files arrive whole,
a ``.dockerignore`` keeps working, and rebuilding the same thing is fully cached.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

DOCKERFILE = """\
FROM busybox
COPY . /ctx/
RUN echo "listing: $(ls -A /ctx | tr '\\n' ' ')" && echo "two: $(cat /ctx/sub/two)"
"""


def _context(root: Path) -> Path:
    ctx = root / "ctx"
    (ctx / "sub").mkdir(parents=True)
    (ctx / "one").write_text("linked content")
    os.link(ctx / "one", ctx / "sub" / "two")
    (ctx / "skip.log").write_text("ignored")
    return ctx


def _build(palletd: Any, *args: str, stdin: bytes | None = None) -> str:
    res = palletd.pallet("build", *args, timeout=180, input=stdin)
    assert res.returncode == 0, f"{res.stdout}\n{res.stderr}\n{palletd.log_tail()}"
    return str(res.stdout)


def _listing(out: str) -> list[str]:
    line = next(ln for ln in out.splitlines() if ln.startswith("listing: "))
    return line.removeprefix("listing: ").split()


def test_outside_dockerfile_is_not_copied_and_hardlinks_arrive(
        palletd: Any, busybox: str, tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    df = tmp_path / "elsewhere.Dockerfile"
    df.write_text(DOCKERFILE)
    out = _build(palletd, "-t", "ctxcli:1", "-f", str(df), str(ctx))
    assert _listing(out) == ["one", "skip.log", "sub"], out  # no Dockerfile, no .dockerignore
    assert "two: linked content" in out
    again = _build(palletd, "-f", str(df), str(ctx))
    assert again.count("Using cache") == 2, again

    out = _build(palletd, "-f", "-", str(ctx), stdin=DOCKERFILE.encode())
    assert out.count("Using cache") == 2, out  # same Dockerfile from stdin: same cache


def test_outside_dockerfile_with_the_context_dockerignore(
        palletd: Any, busybox: str, tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / ".dockerignore").write_text("*.log\n")
    df = tmp_path / "Dockerfile"
    df.write_text(DOCKERFILE.replace("echo", "echo ", 1))  # a cache of its own
    out = _build(palletd, "-f", str(df), str(ctx))
    # as with docker: the context's own .dockerignore is copied, the Dockerfile is not
    assert _listing(out) == [".dockerignore", "one", "sub"], out
    assert _build(palletd, "-f", str(df), str(ctx)).count("Using cache") == 2


def test_a_dockerfile_inside_the_context_is_unchanged(
        palletd: Any, busybox: str, tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / "Dockerfile").write_text(DOCKERFILE.replace("echo", "echo  ", 1))
    out = _build(palletd, str(ctx))
    assert _listing(out) == ["Dockerfile", "one", "skip.log", "sub"], out
    (ctx / ".dockerignore").write_text("Dockerfile\n.dockerignore\n")
    out = _build(palletd, str(ctx))
    assert _listing(out) == ["one", "skip.log", "sub"], out
