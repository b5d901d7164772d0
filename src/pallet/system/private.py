"""Private state: palletd's state and run directories are root's alone.

The state root is ``0710 root:root`` as Docker's ``/var/lib/docker`` is, the run directory
``0710 root:<socket group>`` (members of the socket's group reach the socket and nothing
else), every directory of pallet's own state below them ``0700`` and every file ``0600``
(``0400`` for read-only blobs). Pallet creates its state with these modes; a store made by an
older palletd is fixed up once at start (:func:`secure_state`).

Container data keeps its own modes: image layers and upper directories (``snapshots/s/*/``
below the snapshot record), volume data (``volumes/*/_data``), a container's mounted root and
the per-container ``/etc`` files that are bind-mounted into it. Their parent directories are
private, so no other local user reaches them from the host; inside the container a bind mount
or overlay needs only the file's own mode.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from pallet.errors import PalletError
from pallet.system.paths import Paths

ROOT_MODE = 0o710
DIR_MODE = 0o700
FILE_MODE = 0o600
SHARED = 0o077  # the group and other bits private state never has
# what palletd's own state and run directories hold
ROOT_MARKERS = ("pallet.db", "daemon.json")
RUN_MARKERS = ("palletd.lock", "pallet.sock")
# files in a container's directory that are bind-mounted into the container
LAYER_DATA = frozenset({"diff", "work", "fs", "merged"})
CONTAINER_VISIBLE = frozenset({"hosts", "hostname", "resolv.conf", "rootfs", "secrets"})


def private_dir(path: Path, mode: int = DIR_MODE) -> Path:
    """``mkdir -p path`` with ``mode`` on the last component (made or already there)."""
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    if stat.S_IMODE(path.stat().st_mode) != mode:
        os.chmod(path, mode)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if missing (so writers that inherit the mode of
    an existing file, like SQLite's ``-wal`` and ``-shm``, stay private)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE))
    return path


def _strip(path: Path, st: os.stat_result) -> None:
    mode = stat.S_IMODE(st.st_mode)
    if mode & SHARED:
        with contextlib.suppress(OSError):
            os.chmod(path, mode & ~SHARED)


def _is_container_data(rel: tuple[str, ...]) -> bool:
    top = rel[0]
    if top == "snapshots":  # s/<id>/{diff,work,fs}: layer contents
        return len(rel) >= 4 and rel[1] == "s" and rel[3] in LAYER_DATA
    if top == "volumes":  # volumes/<name>/_data
        return len(rel) >= 3 and rel[2] == "_data"
    if top == "containers":
        return len(rel) >= 3 and rel[2] in CONTAINER_VISIBLE
    return top in ("build", "tmp") and len(rel) >= 2  # build scratch roots, spooled uploads


def _fix_tree(root: Path) -> None:
    """Strip group and other bits from pallet's own state under ``root``."""
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        rel = d.relative_to(root).parts
        if rel and _is_container_data(rel):
            dirnames[:] = []
            continue
        for name in [*dirnames, *filenames]:
            p = d / name
            if _is_container_data((*rel, name)):
                continue
            with contextlib.suppress(OSError):
                st = p.lstat()
                if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
                    _strip(p, st)


def _is_ours(path: Path, markers: tuple[str, ...]) -> bool:
    """Whether ``path`` is a directory pallet may make its own: missing, empty, or already
    holding one of ``markers`` (``--root /tmp`` must not make /tmp private)."""
    try:
        return not any(path.iterdir()) or any((path / m).exists() for m in markers)
    except FileNotFoundError:
        return True


def secure_state(paths: Paths, socket_gid: int = 0) -> None:
    """Make the state and run directories private; fix up an older store's modes.

    Raises PalletError for a state or run directory that holds something else than
    pallet's own state.
    """
    for path, markers in ((paths.root, ROOT_MARKERS), (paths.run, RUN_MARKERS)):
        if not _is_ours(path, markers):
            raise PalletError(f"{path} is not empty and holds none of {', '.join(markers)}: "
                              "give pallet a directory of its own")
    older = paths.root.exists() and stat.S_IMODE(paths.root.stat().st_mode) != ROOT_MODE
    private_dir(paths.root, ROOT_MODE)
    if older:
        _fix_tree(paths.root)
    for d in (paths.containers, paths.tmp, paths.content, paths.snapshots, paths.volumes):
        private_dir(d)
    private_file(paths.db)
    private_dir(paths.run, ROOT_MODE)
    if os.geteuid() == 0:
        os.chown(paths.run, 0, socket_gid)
    for entry in os.scandir(paths.run):
        with contextlib.suppress(OSError):
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1):
                _strip(Path(entry.path), st)
