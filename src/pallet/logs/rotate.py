"""Log rotation: Docker's ``--log-opt max-size/max-file`` over conmon's k8s-file.

conmon only truncates, so the engine rotates: ``ctr.log.{n-1}`` -> ``ctr.log.n``,
..., ``ctr.log`` -> ``ctr.log.1``, then asks conmon to reopen (``2 0 0`` on the ctl
fifo; until it has, its writes land in ``ctr.log.1``, so nothing is lost). Files
beyond ``max-file`` are deleted; ``max-file`` counts the live file, as in Docker.

Drivers: ``json-file`` and ``k8s-file`` (the same file here), ``local`` (Docker's
defaults 20m x 5 when no size is given), ``none`` (nothing is kept: the log
path is a symlink to ``/dev/null``), and the remote ``syslog``, ``gelf`` and
``fluentd`` (``logs.shipopts``), whose local copy rotates as ``local``'s.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pallet.errors import InvalidArgument
from pallet.logs.shipopts import REMOTE_DRIVERS, parse_ship
from pallet.notation.sizes import parse_size

DRIVERS = ("json-file", "k8s-file", "local", "none", *REMOTE_DRIVERS)
LOCAL_MAX_SIZE = 20 << 20
LOCAL_MAX_FILE = 5
_KNOWN_OPTS = {"max-size", "max-file", "compress", "labels", "labels-regex", "env",
               "env-regex", "tag", "mode", "max-buffer-size", "path"}


@dataclass(frozen=True)
class LogPolicy:
    driver: str = "json-file"
    max_size: int = 0  # bytes; 0: never rotate
    max_file: int = 1

    @property
    def rotates(self) -> bool:
        return self.driver != "none" and self.max_size > 0


def parse_policy(driver: str | None, opts: Mapping[str, str] | None) -> LogPolicy:
    """Docker's LogConfig -> a policy; refuses unknown drivers and bad options."""
    driver = driver or "json-file"
    if driver not in DRIVERS:
        raise InvalidArgument(f"logger: no log driver named '{driver}' is registered")
    opts = dict(opts or {})
    if driver in REMOTE_DRIVERS:
        parse_ship(driver, opts)  # refuses what the driver does not take
        opts = {k: v for k, v in opts.items() if k in ("max-size", "max-file")}
    for key in opts:
        if key not in _KNOWN_OPTS:
            raise InvalidArgument(f"unknown log opt '{key}' for {driver} log driver")
    max_size = 0
    if opts.get("max-size", "") not in ("", "-1"):
        max_size = parse_size(opts["max-size"])
        if max_size <= 0:
            raise InvalidArgument("max-size must be a positive number")
    max_file = 1
    if opts.get("max-file"):
        try:
            max_file = int(opts["max-file"])
        except ValueError:
            raise InvalidArgument(f"invalid max-file: {opts['max-file']!r}") from None
        if max_file < 1:
            raise InvalidArgument("max-file cannot be less than 1")
    if driver == "local" or driver in REMOTE_DRIVERS:  # a remote driver's local copy
        max_size = max_size or LOCAL_MAX_SIZE
        max_file = int(opts["max-file"]) if opts.get("max-file") else LOCAL_MAX_FILE
    return LogPolicy(driver, max_size, max_file)


def rotated(path: Path, n: int) -> Path:
    return Path(f"{path}.{n}")


def rotate(path: Path, max_file: int) -> list[Path]:
    """Shift ``path`` to ``path.1`` (and older ones up); delete beyond ``max_file``.

    Returns the files deleted. ``max_file`` 1 keeps no old file at all.
    """
    deleted: list[Path] = []
    keep = max(0, max_file - 1)  # rotated files kept
    n = 1
    while rotated(path, n).exists():
        n += 1
    for i in range(n - 1, 0, -1):  # oldest first, so nothing is overwritten
        src = rotated(path, i)
        if i + 1 > keep:
            with contextlib.suppress(FileNotFoundError):
                src.unlink()
                deleted.append(src)
        else:
            os.replace(src, rotated(path, i + 1))
    with contextlib.suppress(FileNotFoundError):
        # Kept even with max-file 1: conmon writes here until it reopened (drop_excess).
        os.replace(path, rotated(path, 1))
    return deleted


def drop_excess(path: Path, max_file: int) -> list[Path]:
    """Delete rotated files beyond ``max_file`` (after conmon reopened, for max-file 1)."""
    deleted = []
    n = max(1, max_file)
    while rotated(path, n).exists():
        rotated(path, n).unlink()
        deleted.append(rotated(path, n))
        n += 1
    return deleted


def disk_usage(path: Path) -> int:
    """Bytes of the live log and its rotated files."""
    total = 0
    for p in [path, *(rotated(path, i) for i in range(1, 1000))]:
        try:
            total += p.stat().st_size
        except FileNotFoundError:
            if p != path:
                break
    return total


def use_null_log(path: Path) -> None:
    """The ``none`` driver: conmon's writes go to /dev/null."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.symlink("/dev/null", path)
