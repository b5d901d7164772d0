"""``pallet cp -L CTR:LINK DEST`` copies what the link points to (a file or a directory)
under the link's name; without ``-L`` the link itself is copied."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

SETUP = ("mkdir -p /d && echo hi > /d/f && ln -s /d/f /abs && ln -s f /d/rel && "
         "ln -s /d /dl && ln -s /abs /chain && sleep 300")


def ok(d: Any, *args: str) -> str:
    res = d.pallet(*args)
    assert res.returncode == 0, f"pallet {' '.join(args)}: {res.stderr}"
    return str(res.stdout)


@pytest.fixture
def ctr(palletd: Any, busybox: str) -> Iterator[str]:
    name = "cp-follow"
    ok(palletd, "run", "-d", "--name", name, busybox, "sh", "-c", SETUP)
    try:
        ok(palletd, "exec", name, "test", "-L", "/chain")  # the links exist
        yield name
    finally:
        palletd.pallet("rm", "-f", name)


@pytest.mark.parametrize("link", ["/abs", "/d/rel", "/chain"])
def test_follow_a_file_link(palletd: Any, ctr: str, tmp_path: Path, link: str) -> None:
    ok(palletd, "cp", "-L", f"{ctr}:{link}", str(tmp_path / "out"))
    assert not (tmp_path / "out").is_symlink() and (tmp_path / "out").read_text() == "hi\n"
    ok(palletd, "cp", "-L", f"{ctr}:{link}", str(tmp_path))  # into a directory: link's name
    got = tmp_path / os.path.basename(link)
    assert not got.is_symlink() and got.read_text() == "hi\n"


def test_follow_a_directory_link_and_copy_a_link_without_L(
        palletd: Any, ctr: str, tmp_path: Path) -> None:
    ok(palletd, "cp", "-L", f"{ctr}:/dl", str(tmp_path))
    assert (tmp_path / "dl").is_dir() and not (tmp_path / "dl").is_symlink()
    assert (tmp_path / "dl" / "f").read_text() == "hi\n"
    ok(palletd, "cp", f"{ctr}:/abs", str(tmp_path / "plain"))
    assert os.readlink(tmp_path / "plain") == "/d/f"
