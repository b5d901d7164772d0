"""Inode flags (``chattr``): mark a directory as the top of independent hierarchies.

ext4 places a new directory near its parent (the same flex group) unless the parent
carries ``FS_TOPDIR_FL`` (``chattr +T``): its subdirectories are then spread by the
Orlov allocator to a group with few directories and many free inodes, as the
filesystem root's are. Snapshot directories are such hierarchies (one layer or one
container each), and the placement matters for how fast a layer is written: on an
ext4 without a journal every new inode is searched for past the inodes of its group
deleted in the last minutes, so thousands of files created where thousands were just
removed (a layer pulled after an image was removed) cost up to a millisecond each.
Spread out, a new layer lands in a group that is mostly untouched.

The flag is a hint: filesystems without it (tmpfs, overlayfs, xfs) refuse or ignore
the ioctl, and :func:`mark_topdir` leaves them alone.
"""

from __future__ import annotations

import array
import errno
import fcntl
import os
from pathlib import Path

FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_TOPDIR_FL = 0x00020000
_UNSUPPORTED = (errno.ENOTTY, errno.EOPNOTSUPP, errno.EINVAL, errno.EPERM, errno.EACCES)


def mark_topdir(path: Path) -> bool:
    """Set ``FS_TOPDIR_FL`` on the directory ``path``; whether it carries it now."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, flags, True)
        if flags[0] & FS_TOPDIR_FL:
            return True
        flags[0] |= FS_TOPDIR_FL
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, flags, True)
        return True
    except OSError as e:
        if e.errno in _UNSUPPORTED:
            return False
        raise
    finally:
        os.close(fd)
