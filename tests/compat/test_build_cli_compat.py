"""The docker CLI and ``pallet build`` send contexts the daemon sees as the same: a build
by one is fully cached for the other, with a Dockerfile from outside the context and
with hardlinked files (docker sends hardlink entries, so the daemon extracts; pallet
sends regular files, so the daemon indexes the tar: both give the same digests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.compat

DOCKERFILE = """\
FROM busybox
COPY . /ctx/
CMD ["sh", "-c", "ls -A /ctx && cat /ctx/sub/two"]
"""


def test_docker_and_pallet_contexts_share_the_cache(docker: Any, pallet: Any, palletd: Any,
                                                    cleanup: Any, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "sub").mkdir(parents=True)
    (ctx / "one").write_text("linked\n")
    os.link(ctx / "one", ctx / "sub" / "two")
    df = tmp_path / "outside.Dockerfile"
    df.write_text(DOCKERFILE)
    cleanup.image("compat-ctxcli:docker")
    cleanup.image("compat-ctxcli:pallet")
    docker("build", "-q", "-t", "compat-ctxcli:docker", "-f", str(df), str(ctx), timeout=180)
    res = pallet("build", "-t", "compat-ctxcli:pallet", "-f", str(df), str(ctx), timeout=180)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("Using cache") == 2, res.stdout
    ids = {palletd.json("GET", f"/images/compat-ctxcli:{t}/json")["Id"]
           for t in ("docker", "pallet")}
    assert len(ids) == 1
    out = pallet("run", "--rm", "compat-ctxcli:pallet", timeout=60)
    assert out.stdout == "one\nsub\nlinked\n", out.stderr
