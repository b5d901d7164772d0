"""The guide's Production Readiness Checklist, graded on a real container or image.

:func:`check_container` and :func:`check_image` take an inspect document (palletd's or
dockerd's) and answer one :class:`Item` per checklist line: ``pass``, ``warn`` or ``fail``,
what was seen, and the command that fixes it. Security items (``security.*``) are the
guide's hardened ``docker run`` line; limits, health, restart and log rotation follow its
Container Execution Pitfalls and Observability Checklist. A report fails when any item does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from pallet.lint.fixes import fix_for
from pallet.lint.inspectview import ContainerView, ImageView, container_view, image_view
from pallet.lint.secrets import why_secret

_SOCKETS = ("docker.sock", "pallet.sock", "podman.sock", "containerd.sock")
_ROOT = ("", "root", "0")
MAX_SIZE = 500 * 1024 * 1024
MAX_LAYERS = 30


class Item(msgspec.Struct):
    id: str
    status: str  # pass | warn | fail
    title: str
    detail: str = ""
    fix: str = ""


class CheckReport(msgspec.Struct):
    target: str
    kind: str  # container | image
    items: list[Item]
    failed: bool = False


def _report(target: str, kind: str, items: list[Item]) -> CheckReport:
    return CheckReport(target, kind, items, any(i.status == "fail" for i in items))


def _item(id_: str, ok: bool, title: str, bad: str, fix: str, *, warn: bool = False,
          good: str = "") -> Item:
    if ok:
        return Item(id_, "pass", title, good)
    return Item(id_, "warn" if warn else "fail", title, bad, fix)


def check_container(doc: dict[str, Any]) -> CheckReport:
    c = container_view(doc)
    name = c.Name.lstrip("/") or c.Id[:12]
    service = (c.Config.Labels or {}).get("com.docker.compose.service", "")
    hc, cfg = c.HostConfig, c.Config
    opts = [o.replace("=", ":") for o in hc.SecurityOpt or []]
    user = cfg.User.partition(":")[0]
    secrets = [why for e in cfg.Env or [] if (why := why_secret(*_kv(e)))]
    sockets = [m.Source for m in c.Mounts or [] if m.Source.endswith(_SOCKETS)]
    policy = hc.RestartPolicy.Name if hc.RestartPolicy else ""
    log = hc.LogConfig
    log_kind = log.Type if log else ""
    log_opts = (log.Config if log else None) or {}

    def item(id_: str, ok: bool, title: str, bad: str, warn: bool = False,
             good: str = "") -> Item:
        return _item(id_, ok, title, bad, fix_for(id_, name, service), warn=warn, good=good)

    items = [
        item("limits.memory", hc.Memory > 0, "memory limit", "no memory limit",
             good=f"{hc.Memory} bytes"),
        item("limits.cpu", hc.NanoCpus > 0 or hc.CpuQuota > 0, "CPU limit", "no CPU limit",
             warn=True),
        item("security.read-only", hc.ReadonlyRootfs, "read-only root filesystem",
             "the root filesystem is writable"),
        item("security.user", user not in _ROOT, "non-root user",
             f"runs as {cfg.User or 'root (no --user)'}", good=cfg.User),
        item("security.cap-drop", "ALL" in {x.upper() for x in hc.CapDrop or []},
             "capabilities dropped", "the default capabilities are kept"),
        item("security.no-new-privileges",
             any(o in ("no-new-privileges", "no-new-privileges:true") for o in opts),
             "no-new-privileges", "setuid binaries can gain privileges"),
        item("security.seccomp", "seccomp:unconfined" not in opts and not hc.Privileged,
             "seccomp profile on", "seccomp is off"),
        item("security.privileged", not hc.Privileged, "not privileged", "privileged"),
        item("security.host-namespaces", hc.NetworkMode != "host" and hc.PidMode != "host",
             "no host network or PID namespace",
             f"network {hc.NetworkMode}, pid {hc.PidMode or 'private'}"),
        item("security.engine-socket", not sockets, "engine socket not mounted",
             f"mounts {', '.join(sockets)}"),
        item("security.env-secrets", not secrets, "no secrets in the environment",
             "; ".join(secrets)),
        item("resilience.restart", policy not in ("", "no"), "restart policy",
             "no restart policy", warn=True, good=policy),
        *_health(c, item),
        item("logging.rotation",
             (log_kind in ("json-file", "k8s-file", "local") and "max-size" in log_opts)
             or log_kind not in ("", "json-file", "k8s-file", "local", "none"),
             "log rotation in force", f"{log_kind or 'json-file'} without max-size",
             warn=True, good=f"{log_kind} {log_opts.get('max-size', '')}".strip()),
    ]
    return _report(name, "container", items)


def _kv(env: str) -> tuple[str, str]:
    k, _, v = env.partition("=")
    return k, v


def _health(c: ContainerView, item: Callable[..., Item]) -> list[Item]:
    test = c.Config.Healthcheck.Test if c.Config.Healthcheck else None
    if not test or test[0] == "NONE":
        return [item("health.check", False, "health check defined", "no health check",
                     warn=True)]
    status = c.State.Health.Status if c.State.Health else ""
    now = item("health.status", status != "unhealthy", "currently healthy", "unhealthy",
               good=status)
    if status == "starting":  # within its start period: watch it, nothing to start
        now = item("health.status", False, "currently healthy", status, warn=True)
    elif status not in ("healthy", "unhealthy"):
        now = Item("health.status", "warn", "currently healthy", status or "not running",
                   f"pallet start {c.Name.lstrip('/')}")
    return [item("health.check", True, "health check defined", "", good=" ".join(test)), now]


def _names(ref: str, image_id: str, repo_tags: list[str]) -> list[str]:
    """The name(s) to grade: ``ref`` as the engine reads it (no tag: ``latest``), or the
    image's own tags when ``ref`` is empty or its ID."""
    short = ref.removeprefix("sha256:")
    if not ref or (len(short) >= 4 and image_id.removeprefix("sha256:").startswith(short)):
        return sorted(repo_tags, key=lambda t: t.endswith(":latest"))  # a pinned one first
    if "@" in ref or ":" in ref.rsplit("/", 1)[-1]:
        return [ref]
    return [f"{ref}:latest"]


def check_image(doc: dict[str, Any], ref: str = "") -> CheckReport:
    img: ImageView = image_view(doc)
    cfg = img.Config
    tags = _names(ref, img.Id, list(img.RepoTags or []))
    tag = tags[0].rsplit("/", 1)[-1].partition(":")[2] if tags else ""
    labels = {k.lower() for k in cfg.Labels or {}}
    shell = [(what, argv) for what, argv in (("CMD", cfg.Cmd), ("ENTRYPOINT", cfg.Entrypoint))
             if argv and argv[:2] in (["/bin/sh", "-c"], ["sh", "-c"])]
    layers = len(img.RootFS.Layers or [])
    secrets = [why for e in cfg.Env or [] if (why := why_secret(*_kv(e)))]
    test = cfg.Healthcheck.Test if cfg.Healthcheck else None
    name = tags[0] if tags else img.Id[:19]
    items = [
        _item("image.tag", bool(tag) and tag != "latest", "pinned version tag",
              f"{name} is {'latest' if tag else 'untagged'}",
              f"pallet tag {name} {name.rpartition(':')[0] or name}:1.0.0", good=tag),
        _item("image.user", cfg.User.partition(":")[0] not in _ROOT, "non-root USER",
              "runs as root (no USER)", "USER 10001 at the end of the Dockerfile",
              good=cfg.User),
        _item("image.healthcheck", bool(test) and test is not None and test[0] != "NONE",
              "HEALTHCHECK", "no HEALTHCHECK", "HEALTHCHECK CMD ... in the Dockerfile",
              warn=True),
        _item("image.exec-form", not shell, "exec-form CMD/ENTRYPOINT",
              ", ".join(f"{w} in shell form" for w, _ in shell),
              'CMD ["node", "server.js"] (exec form) in the Dockerfile'),
        _item("image.labels", bool(labels & {"version", "org.opencontainers.image.version"}),
              "version label", "no version label", 'LABEL version="1.0.0" in the Dockerfile',
              warn=True),
        _item("image.size", img.Size <= MAX_SIZE, "size", f"{img.Size // 2**20} MB",
              "a smaller base (alpine, distroless) and a multi-stage build", warn=True,
              good=f"{img.Size // 2**20} MB"),
        _item("image.layers", layers <= MAX_LAYERS, "layer count", f"{layers} layers",
              "join RUN instructions; copy build output from a builder stage", warn=True,
              good=str(layers)),
        _item("image.env-secrets", not secrets, "no secrets in ENV", "; ".join(secrets),
              "remove the ENV; pass the secret at run time as a file"),
    ]
    return _report(ref or name, "image", items)


def render_text(reports: list[CheckReport]) -> str:
    out: list[str] = []
    for r in reports:
        out.append(f"{r.kind} {r.target}: {'FAIL' if r.failed else 'PASS'}")
        for i in r.items:
            line = f"  {i.status.upper():4}  {i.id:28} {i.title}"
            if i.status != "pass":
                line += f": {i.detail}\n        fix: {i.fix}"
            out.append(line)
    return "\n".join(out) + "\n"
