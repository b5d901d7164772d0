"""A service's filesystem as Engine API mounts: ``volumes:`` entries (named, anonymous,
bind, tmpfs), ``tmpfs:``, and the files of its ``secrets:`` and ``configs:``.

Binds and plain named volumes use the ``Binds`` strings Compose v2 sends (the engine then
creates a missing host directory); entries with options only ``Mounts`` can say use
``Mounts``. A secret or config backed by a file with no ``uid``/``gid``/``mode`` is a
read-only bind of that file. One from the environment or inline content, or one that
asks for an owner or mode, becomes a :class:`FileSpec`: the executor writes it, with
that owner and mode, under a private directory on the host (a tmpfs) and it is bound
read-only from there. Its value never enters the container's environment, labels or
configuration. Pure.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from pallet.compose.model import FileObject, FileReference, Mount, Project, Service
from pallet.errors import InvalidArgument, Unsupported

SECRETS_DIR = "/run/secrets/"


class FileSpec(msgspec.Struct, frozen=True):
    """A secret or config file the executor writes before the container is made."""

    path: str  # on the host
    target: str  # in the container
    kind: str  # "secret" | "config"
    name: str  # the top-level key
    file: str = ""
    environment: str = ""
    content: str | None = None
    uid: int = 0
    gid: int = 0
    mode: int = 0o444


class Filesystem(msgspec.Struct):
    binds: list[str] = []
    mounts: list[dict[str, Any]] = []
    tmpfs: dict[str, str] = {}
    files: list[FileSpec] = []


def _bind_string(source: str, m: Mount) -> str:
    opts = ["ro" if m.read_only else "rw"]
    if m.bind and m.bind.selinux:
        opts.append(m.bind.selinux)
    if m.volume and m.volume.nocopy:
        opts.append("nocopy")
    return f"{source}:{m.target}:{','.join(opts)}"


def _mount(project: Project, m: Mount, fs: Filesystem) -> None:
    if m.type == "tmpfs":
        doc: dict[str, Any] = {"Type": "tmpfs", "Target": m.target, "ReadOnly": m.read_only}
        if m.tmpfs and (m.tmpfs.size or m.tmpfs.mode):
            opts: dict[str, Any] = {}
            if m.tmpfs.size:
                opts["SizeBytes"] = m.tmpfs.size
            if m.tmpfs.mode:
                opts["Mode"] = m.tmpfs.mode
            doc["TmpfsOptions"] = opts
        fs.mounts.append(doc)
        return
    if m.type == "bind":
        if not m.source:
            raise InvalidArgument(f"bind mount at {m.target} has no source")
        source = os.path.join(project.working_dir, os.path.expanduser(m.source))
        b = m.bind
        if b and (b.create_host_path is False or b.propagation or b.recursive):
            opts = {k: v for k, v in (("Propagation", b.propagation),
                                      ("NonRecursive", b.recursive == "disabled")) if v}
            fs.mounts.append({"Type": "bind", "Source": source, "Target": m.target,
                              "ReadOnly": m.read_only, "BindOptions": opts})
        else:
            fs.binds.append(_bind_string(source, m))
        return
    if m.type != "volume":
        raise Unsupported(f"volume type {m.type!r} is not supported")
    if not m.source:  # anonymous
        fs.mounts.append({"Type": "volume", "Target": m.target, "ReadOnly": m.read_only})
        return
    declared = (project.volumes or {}).get(m.source)
    name = declared.name if declared else m.source
    v = m.volume
    if v and (v.nocopy or v.subpath or v.labels):
        opts = {k: val for k, val in (("NoCopy", v.nocopy), ("Subpath", v.subpath),
                                      ("Labels", v.labels)) if val}
        fs.mounts.append({"Type": "volume", "Source": name, "Target": m.target,
                          "ReadOnly": m.read_only, "VolumeOptions": opts})
    else:
        fs.binds.append(_bind_string(name, m))


def _file_target(kind: str, ref: FileReference) -> str:
    target = ref.target or ref.source
    if os.path.isabs(target):
        return target
    return (SECRETS_DIR if kind == "secret" else "/") + target


def _files(kind: str, refs: list[FileReference], objects: dict[str, FileObject],
           host_dir: str, service: Service, fs: Filesystem, workdir: str) -> None:
    for ref in refs:
        obj = objects.get(ref.source)
        if obj is None:
            raise InvalidArgument(f"service {service.name!r} refers to undefined {kind} "
                                  f"{ref.source!r}")
        if obj.external:
            raise Unsupported(f"unsupported external {kind} {obj.name}")
        if obj.driver or obj.template_driver:
            raise Unsupported(f"Docker Compose does not support {kind}s.*.driver")
        target = _file_target(kind, ref)
        if obj.file and ref.uid is None and ref.gid is None and ref.mode is None:
            fs.binds.append(f"{os.path.join(workdir, obj.file)}:{target}:ro")
            continue
        if obj.file is None and obj.environment is None and obj.content is None:
            raise InvalidArgument(f"{kind} {ref.source!r} has no file, environment or content")
        path = os.path.join(host_dir, f"{kind}-{ref.source}-{len(fs.files)}")
        fs.files.append(FileSpec(
            path=path, target=target, kind=kind, name=ref.source,
            file=os.path.join(workdir, obj.file) if obj.file else "",
            environment=obj.environment or "", content=obj.content,
            uid=int(ref.uid or 0), gid=int(ref.gid or 0),
            mode=ref.mode if ref.mode is not None else 0o444))
        fs.binds.append(f"{path}:{target}:ro")


def filesystem(project: Project, service: Service, host_dir: str) -> Filesystem:
    """The mounts of ``service``; secret and config files go under ``host_dir``."""
    fs = Filesystem(binds=[], mounts=[], tmpfs={}, files=[])
    for m in service.volumes or []:
        _mount(project, m, fs)
    for entry in service.tmpfs or []:
        path, _, opts = entry.partition(":")
        fs.tmpfs[path] = opts
    wd = project.working_dir
    _files("secret", service.secrets or [], project.secrets or {}, host_dir, service, fs, wd)
    _files("config", service.configs or [], project.configs or {}, host_dir, service, fs, wd)
    return fs
