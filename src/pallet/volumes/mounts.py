"""Docker's mount vocabulary -> mount points (pure).

``HostConfig.Binds`` strings, ``HostConfig.Mounts`` objects, image ``VOLUME``s
and ``--volumes-from`` all become one list of mount points (dicts in the shape
of inspect's ``Mounts`` plus a few private keys), later turned into OCI mounts.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pallet.errors import InvalidArgument

MountPoint = dict[str, Any]
_MODES = {"ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated"}
_PROPAGATION = {"private", "rprivate", "shared", "rshared", "slave", "rslave"}


def clean_destination(dest: str) -> str:
    if not dest.startswith("/"):
        raise InvalidArgument(f"invalid mount config for type \"bind\": invalid mount path: "
                              f"'{dest}' mount path must be absolute")
    dest = posixpath.normpath(dest)
    if dest == "/":
        raise InvalidArgument("invalid specification: destination can't be '/'")
    return dest


def from_bind(spec: str) -> MountPoint:
    """``name:/dst[:opts]`` or ``/src:/dst[:opts]``."""
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 3 or not parts[0] or not parts[1]:
        raise InvalidArgument(f"invalid volume specification: '{spec}'")
    src, dst = parts[0], clean_destination(parts[1])
    opts = [o for o in (parts[2].split(",") if len(parts) == 3 else []) if o]
    for o in opts:
        if o not in _MODES | _PROPAGATION:
            raise InvalidArgument(f"invalid mode: {o}")
    rw = "ro" not in opts
    mode = ",".join(o for o in opts if o in _MODES)
    propagation = next((o for o in opts if o in _PROPAGATION), "")
    if src.startswith("/"):
        return {"Type": "bind", "Source": posixpath.normpath(src), "Destination": dst,
                "Mode": mode, "RW": rw, "Propagation": propagation or "rprivate",
                "create_host_path": True}
    return {"Type": "volume", "Name": src, "Destination": dst, "Driver": "local",
            "Mode": mode or "z", "RW": rw, "Propagation": "",
            "nocopy": "nocopy" in opts}


def from_mount(m: Mapping[str, Any]) -> MountPoint:
    """One ``HostConfig.Mounts`` entry (wire names)."""
    kind = str(m.get("Type") or "volume")
    target = str(m.get("Target") or "")
    if not target:
        raise InvalidArgument("invalid mount config: Target must not be empty")
    dst = clean_destination(target)
    rw = not m.get("ReadOnly")
    source = str(m.get("Source") or "")
    if kind == "bind":
        if not source.startswith("/"):
            raise InvalidArgument(f"invalid mount config for type \"bind\": invalid mount path:"
                                  f" '{source}' mount path must be absolute")
        prop = str((m.get("BindOptions") or {}).get("Propagation") or "rprivate")
        return {"Type": "bind", "Source": posixpath.normpath(source), "Destination": dst,
                "Mode": "", "RW": rw, "Propagation": prop, "create_host_path": False}
    if kind == "volume":
        opts = m.get("VolumeOptions") or {}
        return {"Type": "volume", "Name": source, "Destination": dst, "Driver": "local",
                "Mode": "z", "RW": rw, "Propagation": "", "nocopy": bool(opts.get("NoCopy")),
                "labels": dict(opts.get("Labels") or {})}
    if kind == "tmpfs":
        if source:
            raise InvalidArgument("invalid mount config for type \"tmpfs\": source must not be "
                                  "specified")
        t = m.get("TmpfsOptions") or {}
        return {"Type": "tmpfs", "Source": "", "Destination": dst, "Mode": "", "RW": rw,
                "Propagation": "", "size": int(t.get("SizeBytes") or 0),
                "mode": int(t.get("Mode") or 0)}
    raise InvalidArgument(f"invalid mount config: mount type unknown: \"{kind}\"")


def from_volumes_from(spec: str, theirs: Sequence[MountPoint]) -> list[MountPoint]:
    """``ctr[:ro|rw]``: the other container's mount points (tmpfs excluded)."""
    _, _, mode = spec.partition(":")
    if mode not in ("", "ro", "rw"):
        raise InvalidArgument(f"invalid mode: {mode}")
    out = []
    for mp in theirs:
        if mp["Type"] == "tmpfs":
            continue
        copy = {k: v for k, v in mp.items() if k != "anonymous_owner"}
        if mode:
            copy["RW"] = mode == "rw"
        out.append(copy)
    return out


def merge(binds: Iterable[str], mounts: Iterable[Mapping[str, Any]],
          inherited: Iterable[MountPoint], image_volumes: Iterable[str],
          tmpfs: Iterable[str] = ()) -> list[MountPoint]:
    """All mount points of a container; later sources lose to earlier destinations.

    Order of precedence as dockerd: ``--volumes-from`` first, then binds and mounts
    replace them by destination; image volumes left over become anonymous volumes,
    except where an explicit mount, or a ``HostConfig.Tmpfs`` path, is already there.
    """
    by_dest: dict[str, MountPoint] = {}
    for mp in inherited:
        by_dest[mp["Destination"]] = mp
    explicit: set[str] = set()
    for mp in [*(from_bind(b) for b in binds), *(from_mount(m) for m in mounts)]:
        if mp["Destination"] in explicit:
            raise InvalidArgument(f"Duplicate mount point: {mp['Destination']}")
        explicit.add(mp["Destination"])
        by_dest[mp["Destination"]] = mp
    covered = {posixpath.normpath(t) for t in tmpfs}
    for path in image_volumes:
        dst = clean_destination(path)
        if dst not in by_dest and dst not in covered:
            by_dest[dst] = {"Type": "volume", "Name": "", "Destination": dst, "Driver": "local",
                            "Mode": "", "RW": True, "Propagation": "", "anonymous": True}
    return list(by_dest.values())


def tmpfs_options(mp: MountPoint) -> list[str]:
    opts = ["nosuid", "nodev", "noexec"]
    opts.append("rw" if mp.get("RW", True) else "ro")
    if mp.get("size"):
        opts.append(f"size={mp['size']}")
    if mp.get("mode"):
        opts.append(f"mode={mp['mode']:o}")
    return opts


def oci_mount(mp: MountPoint) -> dict[str, Any]:
    """The runtime-spec mount of a resolved mount point (``Source`` set)."""
    if mp["Type"] == "tmpfs":
        return {"destination": mp["Destination"], "type": "tmpfs", "source": "tmpfs",
                "options": tmpfs_options(mp)}
    opts = ["rbind", mp.get("Propagation") or "rprivate"]
    opts.append("rw" if mp.get("RW", True) else "ro")
    return {"destination": mp["Destination"], "type": "bind", "source": mp["Source"],
            "options": opts}


def public(mp: MountPoint) -> dict[str, Any]:
    """The ``Mounts`` entry of inspect."""
    out: dict[str, Any] = {"Type": mp["Type"]}
    if mp["Type"] == "volume":
        out["Name"] = mp.get("Name", "")
    out["Source"] = mp.get("Source", "")
    out["Destination"] = mp["Destination"]
    if mp["Type"] == "volume":
        out["Driver"] = mp.get("Driver", "local")
    out["Mode"] = mp.get("Mode", "")
    out["RW"] = bool(mp.get("RW", True))
    out["Propagation"] = mp.get("Propagation", "")
    return out
