"""The files of a service's secrets and configs on the host: written before its
container is made (content from a file, the project's environment or inline, with the
reference's ``uid``, ``gid`` and ``mode``) under a root-only directory on a tmpfs, bound
read-only into the container by :mod:`pallet.compose.mounts`, removed with the
container. An engine on another host cannot see that directory: it gets each file as a
tar copied into the created container instead, as Compose v2 does.
"""

from __future__ import annotations

import os

from pallet.compose.mounts import FileSpec
from pallet.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def secrets_root() -> str:
    """Where secret and config files are written on this host (a tmpfs)."""
    base = os.environ.get("XDG_RUNTIME_DIR") if os.geteuid() != 0 else None
    return os.path.join(base or "/run", "pallet-compose")



def content(spec: FileSpec, environment: dict[str, str]) -> bytes:
    """What the file holds: its source file, the variable or the inline content."""
    if spec.file:
        with open(spec.file, "rb") as f:
            return f.read()
    if spec.environment:
        value = environment.get(spec.environment, os.environ.get(spec.environment))
        if value is None:
            raise InvalidArgument(f'environment variable "{spec.environment}" required by '
                                  f'{spec.kind} "{spec.name}" is not set')
        return value.encode()
    return (spec.content or "").encode()


def archive(spec: FileSpec, data: bytes) -> bytes:
    """A tar holding the file at its target with its owner and mode: what a remote
    engine gets (``PUT /containers/{id}/archive`` at ``/``), as Compose v2 sends it."""
    import io
    import tarfile
    import time

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(spec.target.lstrip("/"))
        info.size, info.mode, info.uid, info.gid = len(data), spec.mode, spec.uid, spec.gid
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_file(spec: FileSpec, environment: dict[str, str]) -> None:
    """Write a secret or config file with its owner and mode, in a directory only
    root can enter; the file is replaced atomically."""
    data = content(spec, environment)
    directory = os.path.dirname(spec.path)
    os.makedirs(directory, mode=0o700, exist_ok=True)  # only the engine reads it (a bind)
    tmp = spec.path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        if os.geteuid() == 0:
            os.fchown(fd, spec.uid, spec.gid)
        os.fchmod(fd, spec.mode)
    finally:
        os.close(fd)
    os.replace(tmp, spec.path)


def remove_files(directory: str) -> None:
    """Remove a container's secret and config files (nothing there is fine), and the
    project's directory once it holds no container's."""
    # os.walk, not shutil.rmtree: shutil's import (its archive formats) costs a down ~2 ms
    for parent, dirs, files in os.walk(directory, topdown=False):
        for name in files:
            _quietly(os.unlink, os.path.join(parent, name))
        for name in dirs:  # a link to a directory is listed here, and only unlinked
            path = os.path.join(parent, name)
            _quietly(os.unlink if os.path.islink(path) else os.rmdir, path)
    _quietly(os.rmdir, directory)
    # the project's, unless another container's files are still there
    _quietly(os.rmdir, os.path.dirname(directory))


def _quietly(remove: Callable[[str], None], path: str) -> None:
    try:
        remove(path)
    except OSError:
        pass
