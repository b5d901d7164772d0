"""Compose's short syntaxes turned into their long forms (as plain data, before the model).

Ports: ``[HOST_IP:][PUBLISHED[-END]:]TARGET[-END][/PROTOCOL]`` (IPv6 host IPs in brackets)
become one entry per container port, as Compose v2 expands ranges; a single container port
keeps a published range (``8000-8010:80``). Volumes: ``[SOURCE:]TARGET[:MODES]`` become
``bind`` (source starting ``.``, ``/`` or ``~``) or ``volume`` entries, with ``ro``/``rw``,
``z``/``Z``, propagation and ``nocopy`` as options. Devices: ``HOST[:CONTAINER[:PERMS]]``.
"""

from __future__ import annotations

import posixpath
from typing import Any

from pallet.compose.errors import ComposeError

_PROPAGATIONS = ("rprivate", "private", "rshared", "shared", "rslave", "slave")


def _port_range(text: str, spec: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        start = int(low, 10)
        end = int(high, 10) if sep else start
    except ValueError:
        raise ComposeError(f"invalid port {text!r} in {spec!r}") from None
    if not (0 <= start <= 65535 and 0 <= end <= 65535) or end < start:
        raise ComposeError(f"invalid port range {text!r} in {spec!r}")
    return start, end


def parse_ports(spec: str | int) -> list[dict[str, Any]]:
    """The long-syntax entries of one short port spec."""
    if isinstance(spec, int):
        return [{"target": spec, "mode": "ingress", "protocol": "tcp"}]
    text, _, protocol = spec.partition("/")
    protocol = protocol or "tcp"
    host_ip = ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or text[end + 1:end + 2] != ":":
            raise ComposeError(f"invalid port spec {spec!r}")
        host_ip, text = text[1:end], text[end + 2:]
    parts = text.split(":")
    if len(parts) == 3 and not host_ip:
        host_ip, published, target = parts
    elif len(parts) == 2:
        published, target = parts
    elif len(parts) == 1:
        published, target = "", parts[0]
    else:
        raise ComposeError(f"invalid port spec {spec!r}")
    t_start, t_end = _port_range(target, spec)
    base: dict[str, Any] = {"mode": "ingress", "protocol": protocol}
    if host_ip:
        base["host_ip"] = host_ip
    if not published:
        return [{**base, "target": p} for p in range(t_start, t_end + 1)]
    p_start, p_end = _port_range(published, spec)
    if t_start == t_end:
        return [{**base, "target": t_start, "published": published}]
    if p_end - p_start != t_end - t_start:
        raise ComposeError(f"invalid port spec {spec!r}: port ranges don't match")
    return [{**base, "target": t, "published": str(p_start + i)}
            for i, t in enumerate(range(t_start, t_end + 1))]


def parse_volume(spec: str) -> dict[str, Any]:
    """The long-syntax entry of one short volume spec (source not yet made absolute)."""
    if not spec:
        raise ComposeError("invalid empty volume spec")
    fields: list[str] = []
    buf: list[str] = []
    depth = 0
    for i, c in enumerate(spec):
        if c == "$" and spec[i + 1:i + 2] == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == ":" and not depth:
            fields.append("".join(buf))
            buf = []
            continue
        buf.append(c)
    fields.append("".join(buf))
    if any(not f for f in fields):
        raise ComposeError(f"invalid spec: {spec}: empty section between colons")
    if len(fields) > 3:
        raise ComposeError(f"invalid spec: {spec}: too many colons")
    out: dict[str, Any] = {}
    if len(fields) == 1:
        out["target"] = fields[0]
    else:
        out["source"], out["target"] = fields[0], fields[1]
    source = out.get("source", "")
    is_bind = source[:1] in (".", "/", "~")
    out["type"] = "bind" if is_bind else "volume"
    out["target"] = posixpath.normpath(out["target"])
    if is_bind:
        out["bind"] = {"create_host_path": True}
    else:
        out["volume"] = {}
    for option in fields[2].split(",") if len(fields) == 3 else ():
        if option == "ro":
            out["read_only"] = True
        elif option == "rw":
            out.pop("read_only", None)
        elif option == "nocopy":
            out["volume"] = {"nocopy": True}
        elif option in ("z", "Z") and is_bind:
            out["bind"]["selinux"] = option
        elif option in _PROPAGATIONS and is_bind:
            out["bind"]["propagation"] = option
    return out


def parse_device(spec: str) -> dict[str, Any]:
    parts = spec.split(":")
    if len(parts) > 3 or not parts[0]:
        raise ComposeError(f"invalid device spec {spec!r}")
    source = parts[0]
    target = parts[1] if len(parts) > 1 and parts[1] else source
    perms = parts[2] if len(parts) > 2 else "rwm"
    return {"source": source, "target": target, "permissions": perms}


def parse_extra_host(entry: str) -> str:
    """``host:ip``, ``host=ip`` (IPv6 ip with colons) -> ``host=ip``."""
    if "=" in entry:
        return entry
    host, sep, ip = entry.partition(":")
    if not sep:
        raise ComposeError(f"invalid extra host {entry!r}: expected host:ip or host=ip")
    return f"{host}={ip.strip('[]')}"
