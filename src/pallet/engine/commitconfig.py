"""The image config of ``docker commit`` (pure), after dockerd's ``CreateImageFromContainer``:

1. start from the request's config, or the container's when the request has none;
2. apply the ``changes`` (Dockerfile instructions);
3. fill what is still empty from the container's config (``merge``): User, Env (by
   key), ExposedPorts, Labels and Volumes (unions), Cmd/Entrypoint, WorkingDir,
   StopSignal, Healthcheck;
4. the new image = the container's image config + that config + a history entry
   (``created_by`` = the container's ``Cmd``; ``empty_layer`` when nothing changed).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pallet.build.changes import apply_commit_changes

Json = dict[str, Any]

# The ContainerConfig fields an image config keeps (the rest are per container).
IMAGE_KEYS = ("User", "ExposedPorts", "Env", "Cmd", "Healthcheck", "ArgsEscaped", "Volumes",
              "WorkingDir", "Entrypoint", "OnBuild", "Labels", "StopSignal", "Shell")
_PER_IMAGE = ("container", "container_config", "parent", "author", "comment", "rootfs",
              "created", "history", "config")


@dataclass(frozen=True)
class CommitRequest:
    """``POST /commit``'s query and body."""

    repo: str = ""
    tag: str = ""
    author: str = ""
    comment: str = ""
    pause: bool = True
    changes: tuple[str, ...] = ()
    config: Json | None = field(default=None)  # a ContainerConfig to start from


def image_keys(cfg: Json) -> Json:
    """The image-level keys of a container config, empty values dropped."""
    return {k: copy.deepcopy(cfg[k]) for k in IMAGE_KEYS if cfg.get(k) not in (None, "", [], {})}


def merge(user: Json, ctr: Json) -> Json:
    """dockerd's ``merge(userConf, imageConf)``: fill ``user``'s gaps from ``ctr``."""
    out = dict(user)
    if not out.get("User"):
        out["User"] = ctr.get("User") or ""
    out["ExposedPorts"] = {**(ctr.get("ExposedPorts") or {}), **(out.get("ExposedPorts") or {})}
    env = list(out.get("Env") or [])
    keys = {e.partition("=")[0] for e in env}
    out["Env"] = env + [e for e in ctr.get("Env") or [] if e.partition("=")[0] not in keys]
    out["Labels"] = {**(ctr.get("Labels") or {}), **(out.get("Labels") or {})}
    if not out.get("Entrypoint"):
        if not out.get("Cmd"):
            out["Cmd"] = ctr.get("Cmd")
        if out.get("Entrypoint") is None:
            out["Entrypoint"] = ctr.get("Entrypoint")
    if ctr.get("Healthcheck"):
        out["Healthcheck"] = {**ctr["Healthcheck"], **(out.get("Healthcheck") or {})}
    if not out.get("WorkingDir"):
        out["WorkingDir"] = ctr.get("WorkingDir") or ""
    out["Volumes"] = {**(out.get("Volumes") or {}), **(ctr.get("Volumes") or {})}
    if not out.get("StopSignal"):
        out["StopSignal"] = ctr.get("StopSignal")
    return out


def new_config(container_cfg: Json, req: CommitRequest) -> Json:
    """The committed image's ``config``; bad changes raise InvalidArgument (400)."""
    ctr = image_keys(container_cfg)
    base = image_keys(req.config) if req.config else ctr
    changed = apply_commit_changes(base, list(req.changes))
    return image_keys(merge(changed, ctr))


def image_doc(parent: Json, config: Json, container_cfg: Json, req: CommitRequest,
              created: str, empty_layer: bool, container: str = "", parent_id: str = "") -> Json:
    """The new image config (``rootfs`` is set when it is published). As dockerd's commit
    does, it names the container it came from (``container``, ``container_config``) and the
    image that container ran (``parent``)."""
    doc = {k: copy.deepcopy(v) for k, v in parent.items() if k not in _PER_IMAGE}
    doc["config"] = config
    doc["created"] = created
    if container:
        doc["container"] = container
        doc["container_config"] = copy.deepcopy(container_cfg)
    if parent_id:
        doc["parent"] = parent_id
    if req.author:
        doc["author"] = req.author
    if req.comment:
        doc["comment"] = req.comment
    entry: Json = {"created": created,
                   "created_by": " ".join(container_cfg.get("Cmd") or [])}
    if req.author:
        entry["author"] = req.author
    if req.comment:
        entry["comment"] = req.comment
    if empty_layer:
        entry["empty_layer"] = True
    history = copy.deepcopy(parent.get("history") or [])
    layers = len((parent.get("rootfs") or {}).get("diff_ids") or [])
    missing = layers - sum(1 for h in history if not h.get("empty_layer"))
    pad = [{"created": parent.get("created", created)} for _ in range(max(missing, 0))]
    doc["history"] = [*pad, *history, entry]  # one entry per layer, as ``history`` needs
    return doc
