"""Published ports: Docker's ``PortBindings``/``-P`` -> netavark port mappings.

Pure expansion plus two host checks: picking a free host port and making sure
a requested one is free (by binding it) before netavark installs its rules.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pallet.api.view_containers import Port, PortMap
from pallet.api.view_hostconfig import PortBindingView
from pallet.errors import Conflict, InvalidArgument
from pallet.network.netdoc import PortMapping


def split_port(key: str) -> tuple[int, int, str]:
    """``"80/tcp"`` or ``"8000-8010/udp"`` -> (first, last, proto)."""
    port, _, proto = key.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in ("tcp", "udp", "sctp"):
        raise InvalidArgument(f"invalid proto: {proto}")
    lo, sep, hi = port.partition("-")
    try:
        first = int(lo)
        last = int(hi) if sep else first
    except ValueError:
        raise InvalidArgument(f"invalid port specification: {key!r}") from None
    if not (0 < first <= last <= 65535):
        raise InvalidArgument(f"invalid port specification: {key!r}")
    return first, last, proto


def _free_port(host_ip: str, proto: str, taken: set[tuple[str, int]]) -> int:
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind((host_ip or "0.0.0.0", 0))
            port = int(s.getsockname()[1])
        if (proto, port) not in taken:
            return port
    raise Conflict("no free host port")


def expand(bindings: Mapping[str, Sequence[Mapping[str, Any]] | None] | None,
           exposed: Iterable[str], publish_all: bool,
           taken: Iterable[tuple[str, int]] = ()) -> list[PortMapping]:
    """One mapping per (host ip, port); ``HostPort`` "" or ``-P`` picks a free port."""
    held = set(taken)
    out: list[PortMapping] = []
    specs: dict[str, list[Mapping[str, Any]]] = {}
    for key, value in (bindings or {}).items():
        specs[key] = list(value or [{}])
    if publish_all:
        for key in exposed:
            specs.setdefault(key if "/" in key else key + "/tcp", [{}])
    for key, items in specs.items():
        first, last, proto = split_port(key)
        for item in items:
            host_ip = str(item.get("HostIp") or "")
            if host_ip in ("0.0.0.0", "::"):
                host_ip = ""
            host_port = str(item.get("HostPort") or "")
            count = last - first + 1
            if host_port:
                hlo, hhi, _ = split_port(host_port)
                if hhi - hlo + 1 != count and hhi != hlo:
                    raise InvalidArgument(f"invalid ranges specified for container and host "
                                          f"Ports: {key} and {host_port}")
                if hhi != hlo and count == 1:
                    hlo = _free_in_range(host_ip, proto, hlo, hhi, held)
            else:
                hlo = -1
            for i in range(count):
                hp = hlo + i if hlo > 0 else _free_port(host_ip, proto, held)
                held.add((proto, hp))
                out.append(PortMapping(host_ip, hp, first + i, proto))
    return out


def _free_in_range(host_ip: str, proto: str, lo: int, hi: int,
                   held: set[tuple[str, int]]) -> int:
    for port in range(lo, hi + 1):
        if (proto, port) not in held and not in_use(host_ip, port, proto):
            return port
    raise Conflict(f"Bind for {host_ip or '0.0.0.0'}:{lo}-{hi} failed: port is already allocated")


def in_use(host_ip: str, port: int, proto: str) -> bool:
    if proto == "sctp":
        return False
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        with contextlib.suppress(OSError):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host_ip or "0.0.0.0", port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            if e.errno == errno.EADDRNOTAVAIL:
                raise InvalidArgument(f"cannot publish on {host_ip}: address not available on "
                                      "this host") from None
            raise
    return False


def check_free(ports: Sequence[PortMapping], taken: Iterable[tuple[str, int]] = (),
               endpoint: str = "") -> None:
    """Refuse ports held by another container of this daemon or bound on the host; the
    error names the ``endpoint`` (the container's name) as dockerd's does."""
    held = set(taken)
    for p in ports:
        if (p.protocol, p.host_port) in held or in_use(p.host_ip, p.host_port, p.protocol):
            on = f" {endpoint}" if endpoint else ""
            raise Conflict(f"driver failed programming external connectivity on endpoint{on}: "
                           f"Bind for {p.host_ip or '0.0.0.0'}:{p.host_port} failed: "
                           "port is already allocated")


def ports_view(ports: Sequence[PortMapping], exposed: Iterable[str]) -> PortMap:
    """``NetworkSettings.Ports``: every exposed port, with its host bindings or null."""
    out: PortMap = {}
    for key in exposed:
        out[key if "/" in key else key + "/tcp"] = None
    for p in ports:
        key = f"{p.container_port}/{p.protocol}"
        bindings = out.get(key) or []
        bindings.append(PortBindingView(HostIp=p.host_ip or "0.0.0.0",
                                        HostPort=str(p.host_port)))
        out[key] = bindings
    return out


def ports_summary(ports: Sequence[PortMapping], exposed: Iterable[str]) -> list[Port]:
    """The ``Ports`` list of ``GET /containers/json``."""
    out: list[Port] = []
    published = set()
    for p in ports:
        published.add(f"{p.container_port}/{p.protocol}")
        out.append(Port(IP=p.host_ip or "0.0.0.0", PrivatePort=p.container_port,
                        PublicPort=p.host_port, Type=p.protocol))
    for key in exposed:
        k = key if "/" in key else key + "/tcp"
        if k not in published:
            first, _, proto = split_port(k)
            out.append(Port(PrivatePort=first, Type=proto))
    return out
