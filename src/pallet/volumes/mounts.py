"""Docker's mount vocabulary -> mount points (pure).

``HostConfig.Binds`` strings, ``HostConfig.Mounts`` objects, image ``VOLUME``s
and ``--volumes-from`` all become one list of :class:`MountPoint` (inspect's ``Mounts``
entry plus a few private fields), saved with the container and turned into OCI mounts
at each start.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence

import msgspec

from pallet.api.models import BindOptions, MountSpec, TmpfsOptions, VolumeOptions
from pallet.api.view_containers import MountPoint as MountView
from pallet.errors import InvalidArgument
from pallet.oci.runtimemount import OciMount


class MountPoint(msgspec.Struct, kw_only=True):
    """One mount of a container. The JSON keys are those records were saved with before the
    type existed (inspect's names, and lower-case ones for the private fields)."""

    type: str = msgspec.field(name="Type")  # "volume" | "bind" | "tmpfs"
    destination: str = msgspec.field(name="Destination")
    source: str = msgspec.field(default="", name="Source")  # set once resolved
    name: str = msgspec.field(default="", name="Name")  # a volume's
    driver: str = msgspec.field(default="local", name="Driver")
    mode: str = msgspec.field(default="", name="Mode")
    rw: bool = msgspec.field(default=True, name="RW")
    propagation: str = msgspec.field(default="", name="Propagation")
    create_host_path: bool = False  # a bind's missing source is made (``-v``, not ``--mount``)
    nocopy: bool = False  # no copy-up into a new volume
    labels: dict[str, str] | None = None  # a new volume's, until it is created
    anonymous: bool = False  # an image VOLUME's volume, until it is created
    size: int = 0  # tmpfs bytes
    tmpfs_mode: int = msgspec.field(default=0, name="mode")  # tmpfs permission bits


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
        return MountPoint(type="bind", source=posixpath.normpath(src), destination=dst,
                          mode=mode, rw=rw, propagation=propagation or "rprivate",
                          create_host_path=True)
    return MountPoint(type="volume", name=src, destination=dst, mode=mode or "z", rw=rw,
                      nocopy="nocopy" in opts)


def from_mount(m: MountSpec) -> MountPoint:
    """One ``HostConfig.Mounts`` entry."""
    kind = m.Type or "volume"
    target = m.Target
    if not target:
        raise InvalidArgument("invalid mount config: Target must not be empty")
    dst = clean_destination(target)
    rw = not m.ReadOnly
    source = m.Source
    if kind == "bind":
        if not source.startswith("/"):
            raise InvalidArgument(f"invalid mount config for type \"bind\": invalid mount path:"
                                  f" '{source}' mount path must be absolute")
        prop = (m.BindOptions or BindOptions()).Propagation or "rprivate"
        return MountPoint(type="bind", source=posixpath.normpath(source), destination=dst,
                          rw=rw, propagation=prop)
    if kind == "volume":
        opts = m.VolumeOptions or VolumeOptions()
        return MountPoint(type="volume", name=source, destination=dst, mode="z", rw=rw,
                          nocopy=opts.NoCopy, labels=dict(opts.Labels or {}))
    if kind == "tmpfs":
        if source:
            raise InvalidArgument("invalid mount config for type \"tmpfs\": source must not be "
                                  "specified")
        t = m.TmpfsOptions or TmpfsOptions()
        return MountPoint(type="tmpfs", destination=dst, rw=rw, size=t.SizeBytes,
                          tmpfs_mode=t.Mode)
    raise InvalidArgument(f"invalid mount config: mount type unknown: \"{kind}\"")


def from_volumes_from(spec: str, theirs: Sequence[MountPoint]) -> list[MountPoint]:
    """``ctr[:ro|rw]``: the other container's mount points (tmpfs excluded)."""
    _, _, mode = spec.partition(":")
    if mode not in ("", "ro", "rw"):
        raise InvalidArgument(f"invalid mode: {mode}")
    out = []
    for mp in theirs:
        if mp.type == "tmpfs":
            continue
        out.append(msgspec.structs.replace(mp, rw=mode == "rw") if mode else mp)
    return out


def merge(binds: Iterable[str], mounts: Iterable[MountSpec],
          inherited: Iterable[MountPoint], image_volumes: Iterable[str],
          tmpfs: Iterable[str] = ()) -> list[MountPoint]:
    """All mount points of a container; later sources lose to earlier destinations.

    Order of precedence as dockerd: ``--volumes-from`` first, then binds and mounts
    replace them by destination; image volumes left over become anonymous volumes,
    except where an explicit mount, or a ``HostConfig.Tmpfs`` path, is already there.
    """
    by_dest: dict[str, MountPoint] = {}
    for mp in inherited:
        by_dest[mp.destination] = mp
    explicit: set[str] = set()
    for mp in [*(from_bind(b) for b in binds), *(from_mount(m) for m in mounts)]:
        if mp.destination in explicit:
            raise InvalidArgument(f"Duplicate mount point: {mp.destination}")
        explicit.add(mp.destination)
        by_dest[mp.destination] = mp
    covered = {posixpath.normpath(t) for t in tmpfs}
    for path in image_volumes:
        dst = clean_destination(path)
        if dst not in by_dest and dst not in covered:
            by_dest[dst] = MountPoint(type="volume", destination=dst, anonymous=True)
    return list(by_dest.values())


def tmpfs_options(mp: MountPoint) -> list[str]:
    opts = ["nosuid", "nodev", "noexec"]
    opts.append("rw" if mp.rw else "ro")
    if mp.size:
        opts.append(f"size={mp.size}")
    if mp.tmpfs_mode:
        opts.append(f"mode={mp.tmpfs_mode:o}")
    return opts


def oci_mount(mp: MountPoint) -> OciMount:
    """The runtime-spec mount of a resolved mount point (``Source`` set)."""
    if mp.type == "tmpfs":
        return OciMount(destination=mp.destination, type="tmpfs", source="tmpfs",
                        options=tmpfs_options(mp))
    opts = ["rbind", mp.propagation or "rprivate"]
    opts.append("rw" if mp.rw else "ro")
    return OciMount(destination=mp.destination, type="bind", source=mp.source, options=opts)


def public(mp: MountPoint) -> MountView:
    """The ``Mounts`` entry of inspect and of the list."""
    out = MountView(Type=mp.type, Source=mp.source, Destination=mp.destination, Mode=mp.mode,
                    RW=mp.rw, Propagation=mp.propagation)
    if mp.type == "volume":
        out.Name = mp.name
        out.Driver = mp.driver
    return out
