"""The guide's Production Readiness Checklist, graded on a real container or image.

:func:`check_container` and :func:`check_image` take an inspect document (palletd's or
dockerd's) and answer one :class:`Item` per checklist line: ``pass``, ``warn`` or ``fail``,
what was seen, and the command that fixes it. Security items (``security.*``) are the
guide's hardened ``docker run`` line; limits, health, restart and log rotation follow its
Container Execution Pitfalls and Observability Checklist. A report fails when any item does.
"""

from __future__ import annotations

from typing import Any

import msgspec

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
    hc, cfg = c.HostConfig, c.Config
    opts = [o.replace("=", ":") for o in hc.SecurityOpt or []]
    rerun = f"recreate {name} with"
    user = cfg.User.partition(":")[0]
    secrets = [why for e in cfg.Env or [] if (why := why_secret(*_kv(e)))]
    sockets = [m.Source for m in c.Mounts or [] if m.Source.endswith(_SOCKETS)]
    items = [
        _item("limits.memory", hc.Memory > 0, "memory limit", "no memory limit",
              f"pallet update --memory 512m --memory-swap 512m {name}",
              good=f"{hc.Memory} bytes"),
        _item("limits.cpu", hc.NanoCpus > 0 or hc.CpuQuota > 0, "CPU limit", "no CPU limit",
              f"pallet update --cpus 1.0 {name}", warn=True),
        _item("security.read-only", hc.ReadonlyRootfs, "read-only root filesystem",
              "the root filesystem is writable",
              f"{rerun} --read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m"),
        _item("security.user", user not in _ROOT, "non-root user",
              f"runs as {cfg.User or 'root (no --user)'}", f"{rerun} --user 10001",
              good=cfg.User),
        _item("security.cap-drop", "ALL" in {x.upper() for x in hc.CapDrop or []},
              "capabilities dropped", "the default capabilities are kept",
              f"{rerun} --cap-drop ALL (and --cap-add only what it needs)"),
        _item("security.no-new-privileges", any(o in ("no-new-privileges",
                                                      "no-new-privileges:true") for o in opts),
              "no-new-privileges", "setuid binaries can gain privileges",
              f"{rerun} --security-opt no-new-privileges"),
        _item("security.seccomp", "seccomp:unconfined" not in opts and not hc.Privileged,
              "seccomp profile on", "seccomp is off", f"{rerun} without seccomp=unconfined"),
        _item("security.privileged", not hc.Privileged, "not privileged", "--privileged",
              f"{rerun} without --privileged (add single capabilities with --cap-add)"),
        _item("security.host-namespaces", hc.NetworkMode != "host" and hc.PidMode != "host",
              "no host network or PID namespace",
              f"--network {hc.NetworkMode} --pid {hc.PidMode or 'private'}",
              f"{rerun} a user-defined network (pallet network create app; --network app)"),
        _item("security.engine-socket", not sockets, "engine socket not mounted",
              f"mounts {', '.join(sockets)}", f"{rerun} without mounting the engine's socket"),
        _item("security.env-secrets", not secrets, "no secrets in the environment",
              "; ".join(secrets), f"{rerun} the secret in a file (-v or a compose secret) "
              "and VAR_FILE=/run/secrets/NAME"),
        _restart(c, rerun),
        *_health(c, rerun),
        _logs(c, rerun),
    ]
    return _report(name, "container", items)


def _kv(env: str) -> tuple[str, str]:
    k, _, v = env.partition("=")
    return k, v


def _restart(c: ContainerView, rerun: str) -> Item:
    policy = c.HostConfig.RestartPolicy.Name if c.HostConfig.RestartPolicy else ""
    return _item("resilience.restart", policy not in ("", "no"), "restart policy",
                 "no restart policy", f"pallet update --restart unless-stopped "
                 f"{c.Name.lstrip('/')}", warn=True, good=policy)


def _health(c: ContainerView, rerun: str) -> list[Item]:
    test = c.Config.Healthcheck.Test if c.Config.Healthcheck else None
    if not test or test[0] == "NONE":
        return [Item("health.check", "warn", "health check defined", "no health check",
                     f"{rerun} --health-cmd 'wget -q --spider http://localhost/health || "
                     "exit 1' --health-interval 30s (or HEALTHCHECK in the Dockerfile)")]
    status = c.State.Health.Status if c.State.Health else ""
    now = Item("health.status", "pass", "currently healthy", status)
    if status == "unhealthy":
        now = Item("health.status", "fail", "currently healthy", "unhealthy",
                   f"pallet inspect --format '{{{{json .State.Health}}}}' {c.Name.lstrip('/')}")
    elif status != "healthy":
        now = Item("health.status", "warn", "currently healthy", status or "not running",
                   f"pallet start {c.Name.lstrip('/')}")
    return [Item("health.check", "pass", "health check defined", " ".join(test)), now]


def _logs(c: ContainerView, rerun: str) -> Item:
    log = c.HostConfig.LogConfig
    kind = log.Type if log else ""
    opts = (log.Config if log else None) or {}
    rotated = kind in ("json-file", "k8s-file", "local") and "max-size" in opts
    shipped = kind not in ("", "json-file", "k8s-file", "local", "none")
    return _item("logging.rotation", rotated or shipped, "log rotation in force",
                 f"{kind or 'json-file'} without max-size", f"{rerun} --log-opt max-size=10m "
                 "--log-opt max-file=3", warn=True, good=f"{kind} {opts.get('max-size', '')}")


def check_image(doc: dict[str, Any], ref: str = "") -> CheckReport:
    img: ImageView = image_view(doc)
    cfg = img.Config
    tags = [ref] if ref else list(img.RepoTags or [])
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
    return _report(name, "image", items)


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
