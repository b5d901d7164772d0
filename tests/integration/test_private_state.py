"""palletd's state is root's alone: as the unprivileged ``nobody`` nothing under the state
and run directories can be read, pallet's own files are 0600 (blobs 0400) and its
directories 0700 (the roots 0710), the API socket is not world-writable, and containers
still work (a non-root user in a container reads its /etc files and writes to a volume).
A store left with open modes by an older palletd is fixed up at the next start."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

# run as nobody: print every path (one per stdin line) that could be opened or listed
READER = """
import os, sys
for p in sys.stdin.read().splitlines():
    try:
        if os.path.isdir(p):
            os.listdir(p)
        else:
            os.close(os.open(p, os.O_RDONLY | os.O_NONBLOCK))
    except OSError:
        continue
    print(p)
"""


def _tree(top: Path) -> Iterator[Path]:
    """Every path under ``top`` (not inside mounted container roots)."""
    for dirpath, dirnames, filenames in os.walk(top):
        d = Path(dirpath)
        dirnames[:] = [n for n in dirnames if not os.path.ismount(d / n)]
        yield d
        for n in filenames:
            yield d / n


def _readable_by_nobody(paths: list[Path]) -> list[str]:
    res = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
         sys.executable, "-c", READER],
        input="\n".join(map(str, paths)), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.splitlines()


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def _own_state(root: Path) -> list[Path]:
    """Files that are pallet's own state, never container data."""
    found = [p for p in root.glob("pallet.db*")]
    found += list((root / "content" / "blobs" / "sha256").iterdir())
    found += list(root.glob("containers/*/config.json"))
    found += list(root.glob("snapshots/s/*/meta.json"))
    return found


@pytest.fixture
def daemon(palletd_factory: Callable[[], Any]) -> Any:
    d = palletd_factory()
    d.base.chmod(0o755)  # the parent is open, as /var/lib is: the state dir must guard itself
    d.start()
    d.bootstrap("busybox")
    return d


def _ok(d: Any, *args: str) -> str:
    res = d.pallet(*args)
    assert res.returncode == 0, f"pallet {args}: {res.stderr}"
    return str(res.stdout)


def test_state_private_and_containers_work(daemon: Any) -> None:
    d = daemon
    _ok(d, "volume", "create", "pv")
    out = _ok(d, "run", "--name", "pv-user", "-u", "1000", "-e", "SECRET=hunter2",
              "-v", "pv:/data", "busybox", "sh", "-c",
              "cat /etc/hostname /etc/resolv.conf >/dev/null && grep -q localhost /etc/hosts"
              " && echo ok")
    assert out.strip() == "ok"
    _ok(d, "run", "--rm", "-v", "pv:/data", "busybox", "sh", "-c",
        "chmod 777 /data && touch /data/by-root")
    assert _ok(d, "run", "--rm", "-u", "1000", "-v", "pv:/data", "busybox", "sh", "-c",
               "echo hi > /data/mine && cat /data/mine").strip() == "hi"
    _ok(d, "run", "-d", "--name", "pv-live", "-e", "SECRET=hunter2", "busybox", "sleep", "60")

    assert _mode(d.root) == 0o710 and _mode(d.run) == 0o710
    for sub in ("content", "snapshots", "containers", "volumes", "tmp"):
        assert _mode(d.root / sub) == 0o700, sub
    own = _own_state(d.root)
    assert any(p.name == "pallet.db-wal" for p in own)
    assert [str(p) for p in own if _mode(p) & 0o077] == []
    sock = d.socket.stat()
    assert not sock.st_mode & stat.S_IWOTH and not sock.st_mode & stat.S_IROTH

    shared = [str(p) for p in _tree(d.run) if p != d.run and not p.is_symlink()
              and not os.path.ismount(p)  # network namespaces (nsfs)
              and p.parent.name != "exits"  # conmon's exit files, in a 0700 directory
              and (p.is_dir() or (p.is_file() and p.stat().st_nlink == 1))
              and _mode(p) & 0o077]
    assert shared == []  # what pallet makes in its run dir is private from the start

    paths = [*_tree(d.root), *_tree(d.run)]
    assert len(paths) > 100
    assert _readable_by_nobody(paths) == []


def test_older_store_fixed_at_start(daemon: Any) -> None:
    d = daemon
    d.stop()
    # what an older palletd left: open modes everywhere
    os.chmod(d.root, 0o755)
    for p in _tree(d.root / "content"):
        os.chmod(p, 0o755 if p.is_dir() else 0o444)
    for p in d.root.glob("pallet.db*"):
        os.chmod(p, 0o644)
    layer = next(d.root.glob("snapshots/s/*/diff"))
    before = _mode(layer)
    d.start()
    assert _mode(d.root) == 0o710
    assert [str(p) for p in _own_state(d.root) if _mode(p) & 0o077] == []
    assert _mode(layer) == before  # image layers keep their own modes
    info = json.loads(_ok(d, "image", "inspect", "busybox"))
    assert info[0]["RepoTags"] == ["busybox:latest"]
    assert _ok(d, "run", "--rm", "-u", "1000", "busybox", "cat", "/etc/hostname").strip()
