"""Volumes and mounts: ``-v src:dst[:opts]``, ``-v /anon``, ``--mount k=v,...``,
``--tmpfs /tmp:size=64m``. Results are the wire shapes the docker CLI sends."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

from pallet.errors import InvalidArgument
from pallet.notation.sizes import parse_size

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

_BIND_OPTS = {
    "ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated",
    "private", "rprivate", "shared", "rshared", "slave", "rslave",
}  # fmt: skip


@dataclass
class Volumes:
    """The parts of a create body that ``-v`` feeds."""

    binds: list[str] = field(default_factory=list)
    anonymous: dict[str, dict[str, Any]] = field(default_factory=dict)


def parse_volume(spec: str, cwd: str | None = None) -> tuple[str | None, str]:
    """One ``-v`` value -> (bind string or None, anonymous volume path).

    ``data:/data`` and ``/srv:/srv:ro`` are binds (relative host paths starting with
    ``.`` are made absolute like the docker CLI does); ``/data`` alone is an
    anonymous volume.
    """
    if not spec:
        raise InvalidArgument("invalid empty volume spec")
    parts = spec.split(":")
    if len(parts) == 1:
        if not spec.startswith("/"):
            raise InvalidArgument(f"invalid volume specification: '{spec}'")
        return None, spec
    if len(parts) > 3:
        raise InvalidArgument(f"invalid volume specification: '{spec}'")
    source, target = parts[0], parts[1]
    if not target.startswith("/"):
        raise InvalidArgument(
            f"invalid volume specification: '{spec}': invalid mount config for type "
            f"\"bind\": invalid mount path: '{target}' mount path must be absolute"
        )
    if len(parts) == 3:
        for opt in parts[2].split(","):
            if opt not in _BIND_OPTS:
                raise InvalidArgument(f"invalid mode: {opt}")
    if not source:
        raise InvalidArgument(f"invalid volume specification: '{spec}'")
    if source in (".", "..") or source.startswith(("./", "../")):
        base = cwd if cwd is not None else os.getcwd()
        source = os.path.normpath(os.path.join(base, source))
        parts[0] = source
    return ":".join(parts), ""


def parse_volumes(specs: list[str], cwd: str | None = None) -> Volumes:
    out = Volumes()
    for spec in specs:
        bind, anon = parse_volume(spec, cwd)
        if bind is not None:
            out.binds.append(bind)
        else:
            out.anonymous[anon] = {}
    return out


def _bool(key: str, value: str | None) -> bool:
    if value is None:
        return True
    v = value.lower()
    if v in ("1", "true", "t", "yes"):
        return True
    if v in ("0", "false", "f", "no"):
        return False
    raise InvalidArgument(f"invalid value for {key}: {value}")


def parse_mount(spec: str) -> dict[str, Any]:
    """One ``--mount`` value -> a ``HostConfig.Mounts`` entry."""
    try:
        fields = next(csv.reader([spec]))
    except (StopIteration, csv.Error):
        raise InvalidArgument(f"invalid mount: {spec}") from None
    mount: dict[str, Any] = {"Type": "volume"}
    bind_opts: dict[str, Any] = {}
    vol_opts: dict[str, Any] = {}
    tmpfs_opts: dict[str, Any] = {}
    for item in fields:
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        val: str | None = value if eq else None
        if key in ("readonly", "ro"):
            mount["ReadOnly"] = _bool(key, val)
            continue
        if key in ("bind-nonrecursive",):
            bind_opts["NonRecursive"] = _bool(key, val)
            continue
        if key == "volume-nocopy":
            vol_opts["NoCopy"] = _bool(key, val)
            continue
        if val is None:
            raise InvalidArgument(f"invalid field '{item}' must be a key=value pair")
        if key == "type":
            if val not in ("bind", "volume", "tmpfs", "npipe", "cluster", "image"):
                raise InvalidArgument(f"invalid mount type: {val}")
            mount["Type"] = val
        elif key in ("source", "src"):
            mount["Source"] = val
        elif key in ("target", "dst", "destination"):
            mount["Target"] = val
        elif key == "consistency":
            mount["Consistency"] = val
        elif key == "bind-propagation":
            bind_opts["Propagation"] = val
        elif key == "volume-driver":
            vol_opts.setdefault("DriverConfig", {})["Name"] = val
        elif key == "volume-opt":
            k, _, v = val.partition("=")
            vol_opts.setdefault("DriverConfig", {}).setdefault("Options", {})[k] = v
        elif key == "volume-label":
            k, _, v = val.partition("=")
            vol_opts.setdefault("Labels", {})[k] = v
        elif key == "volume-subpath":
            vol_opts["Subpath"] = val
        elif key == "tmpfs-size":
            tmpfs_opts["SizeBytes"] = parse_size(val)
        elif key == "tmpfs-mode":
            try:
                tmpfs_opts["Mode"] = int(val, 8)
            except ValueError:
                raise InvalidArgument(f"invalid value for {key}: {val}") from None
        else:
            raise InvalidArgument(f"unexpected key '{key}' in '{item}'")
    kind = mount["Type"]
    if not mount.get("Target"):
        raise InvalidArgument("target is required")
    if bind_opts:
        if kind != "bind":
            raise InvalidArgument(f"cannot mix 'bind-*' options with mount type '{kind}'")
        mount["BindOptions"] = bind_opts
    if vol_opts:
        if kind != "volume":
            raise InvalidArgument(f"cannot mix 'volume-*' options with mount type '{kind}'")
        mount["VolumeOptions"] = vol_opts
    if tmpfs_opts:
        if kind != "tmpfs":
            raise InvalidArgument(f"cannot mix 'tmpfs-*' options with mount type '{kind}'")
        mount["TmpfsOptions"] = tmpfs_opts
    if kind == "bind" and not mount.get("Source"):
        raise InvalidArgument("source is required when specifying bind mounts")
    if kind == "tmpfs" and mount.get("Source"):
        raise InvalidArgument("source is not supported for tmpfs mounts")
    return mount


def parse_tmpfs(specs: list[str]) -> dict[str, str]:
    """``--tmpfs /tmp:rw,size=64m`` values -> ``HostConfig.Tmpfs``."""
    out: dict[str, str] = {}
    for spec in specs:
        path, _, opts = spec.partition(":")
        if not path.startswith("/"):
            raise InvalidArgument(f"invalid tmpfs mount path: {path}")
        out[path] = opts
    return out
