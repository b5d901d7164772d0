"""One Kubernetes container of a pod as an Engine API create body (``pallet kube play``).

The reverse of :mod:`pallet.kube.podspec`: command and args, env (values, and
``secretKeyRef``/``configMapKeyRef``/``envFrom`` from the play's Secrets and ConfigMaps),
the exec readiness (else liveness) probe as the health check with the startup probe's
budget as its start period, limits and requests, the securityContext (the pod's under the
container's), and mounts: a claim is a named volume, an in-memory ``emptyDir`` a tmpfs,
another ``emptyDir`` an anonymous volume, a Secret or ConfigMap files bound from the
play's directory on this host. What it cannot honour is named in the warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pallet.kube.podspec import Obj

NS = 1_000_000_000
CONTAINER_KEYS = frozenset((
    "name", "image", "command", "args", "workingDir", "env", "envFrom", "ports",
    "readinessProbe", "livenessProbe", "startupProbe", "resources", "securityContext",
    "volumeMounts", "stdin", "tty", "imagePullPolicy", "terminationMessagePath",
    "terminationMessagePolicy",
))
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 1 << 10,
          "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "m": 0.001}

# a pod volume's name -> ("volume", engine volume) | ("tmpfs", size) | ("files", host dir)
Sources = dict[str, tuple[str, Any]]
Lookup = Callable[[str, str, str], str | None]  # (kind, object name, key) -> value


def quantity(text: object) -> float:
    m = _QUANTITY.match(str(text))
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"not a quantity: {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _health(c: Obj) -> Obj | None:
    probe = c.get("readinessProbe") or c.get("livenessProbe")
    if not probe or "exec" not in probe:
        return None
    period = int(probe.get("periodSeconds", 10))
    doc: Obj = {"Test": ["CMD", *probe["exec"].get("command", [])],
                "Interval": period * NS, "Timeout": int(probe.get("timeoutSeconds", 1)) * NS,
                "Retries": int(probe.get("failureThreshold", 3))}
    start = c.get("startupProbe")
    if start:
        doc["StartPeriod"] = (int(start.get("periodSeconds", 10)) *
                              int(start.get("failureThreshold", 3)) * NS)
    return doc


def _security(c: Obj, pod_ctx: Obj, host: Obj, config: Obj) -> None:
    ctx = {**pod_ctx, **(c.get("securityContext") or {})}
    uid, gid = ctx.get("runAsUser"), ctx.get("runAsGroup")
    if uid is not None:
        config["User"] = f"{uid}:{gid}" if gid is not None else str(uid)
    if ctx.get("readOnlyRootFilesystem"):
        host["ReadonlyRootfs"] = True
    caps = ctx.get("capabilities") or {}
    if caps.get("add"):
        host["CapAdd"] = list(caps["add"])
    if caps.get("drop"):
        host["CapDrop"] = list(caps["drop"])
    opts = []
    if ctx.get("allowPrivilegeEscalation") is False:
        opts.append("no-new-privileges:true")
    if (ctx.get("seccompProfile") or {}).get("type") == "Unconfined":
        opts.append("seccomp=unconfined")
    if opts:
        host["SecurityOpt"] = opts
    if ctx.get("privileged"):
        host["Privileged"] = True


def _env(c: Obj, lookup: Lookup, warn: list[str], where: str) -> list[str]:
    env: list[str] = []
    for src in c.get("envFrom") or []:
        for kind in ("configMapRef", "secretRef"):
            ref = src.get(kind)
            if ref:
                keys = lookup(kind, ref.get("name", ""), "") or ""
                for key in keys.split("\0") if keys else []:
                    env.append(f"{src.get('prefix', '')}{key}="
                               f"{lookup(kind, ref['name'], key) or ''}")
    for e in c.get("env") or []:
        if "value" in e or "valueFrom" not in e:
            env.append(f"{e['name']}={e.get('value', '')}")
            continue
        frm = e["valueFrom"]
        for kind in ("configMapKeyRef", "secretKeyRef"):
            if kind in frm:
                value = lookup(kind, frm[kind].get("name", ""), frm[kind].get("key", ""))
                if value is not None:
                    env.append(f"{e['name']}={value}")
                    break
        else:
            warn.append(f"{where}: env {e['name']}: valueFrom {sorted(frm)} not honoured")
    return env


def create_body(c: Obj, pod: Obj, sources: Sources, lookup: Lookup, labels: dict[str, str],
                warn: list[str], where: str) -> Obj:
    """The create body of container ``c`` of pod spec ``pod``."""
    config: Obj = {"Image": c.get("image", ""), "Labels": labels}
    host: Obj = {}
    for key in sorted(set(c) - CONTAINER_KEYS):
        warn.append(f"{where}: {key} not honoured")
    if "command" in c:
        config["Entrypoint"] = list(c["command"])
    if "args" in c:
        config["Cmd"] = list(c["args"])
    if c.get("workingDir"):
        config["WorkingDir"] = c["workingDir"]
    env = _env(c, lookup, warn, where)
    if env:
        config["Env"] = env
    config["OpenStdin"] = bool(c.get("stdin"))
    config["Tty"] = bool(c.get("tty"))
    health = _health(c)
    if health:
        config["Healthcheck"] = health
    res = c.get("resources") or {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    if "memory" in limits:
        host["Memory"] = int(quantity(limits["memory"]))
    if "cpu" in limits:
        host["NanoCpus"] = int(quantity(limits["cpu"]) * NS)
    if "memory" in requests:
        host["MemoryReservation"] = int(quantity(requests["memory"]))
    _security(c, pod.get("securityContext") or {}, host, config)
    host["Mounts"] = _mounts(c, sources, warn, where)
    config["HostConfig"] = host
    return config


def _mounts(c: Obj, sources: Sources, warn: list[str], where: str) -> list[Obj]:
    out: list[Obj] = []
    for m in c.get("volumeMounts") or []:
        src = sources.get(m.get("name", ""))
        target, ro = m.get("mountPath", ""), bool(m.get("readOnly"))
        if src is None:
            warn.append(f"{where}: volumeMount {m.get('name')} has no volume it can make")
            continue
        kind, value = src
        if kind == "volume":
            doc: Obj = {"Type": "volume", "Source": value, "Target": target, "ReadOnly": ro}
            if m.get("subPath"):
                doc["VolumeOptions"] = {"Subpath": m["subPath"]}
            out.append(doc)
        elif kind == "tmpfs":
            tmp: Obj = {"Type": "tmpfs", "Target": target}
            if value:
                tmp["TmpfsOptions"] = {"SizeBytes": value}
            out.append(tmp)
        elif kind == "anonymous":
            out.append({"Type": "volume", "Target": target})
        elif kind == "bind":
            out.append({"Type": "bind", "Source": value, "Target": target, "ReadOnly": ro})
        else:
            source = f"{value}/{m['subPath']}" if m.get("subPath") else value
            out.append({"Type": "bind", "Source": source, "Target": target, "ReadOnly": True})
    return out
