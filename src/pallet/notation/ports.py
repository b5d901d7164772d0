"""Published and exposed ports: ``-p 8080:80``, ``-p 127.0.0.1:8000-8001:80-81/udp``,
``--expose 80-81``. Results are wire shapes (``ExposedPorts`` and ``PortBindings``)."""

from __future__ import annotations

from pallet.errors import InvalidArgument

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

PortBindings = dict[str, list[dict[str, str]]]


def _range(text: str, what: str, spec: str) -> tuple[int, int]:
    lo, sep, hi = text.partition("-")
    try:
        start = int(lo)
        end = int(hi) if sep else start
    except ValueError:
        raise InvalidArgument(f"invalid {what} port: {text} in {spec}") from None
    if not (0 < start <= 65535 and 0 < end <= 65535) or end < start:
        raise InvalidArgument(f"invalid {what} port: {text} in {spec}")
    return start, end


def _split_publish(spec: str) -> tuple[str, str, str]:
    """(ip, host, container) of ``[[ip:]host:]container``; ip may be ``[::1]``."""
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            raise InvalidArgument(f"invalid IP address: {spec}")
        ip = spec[1:end]
        rest = spec[end + 1 :]
        if not rest.startswith(":"):
            raise InvalidArgument(f"invalid port format: {spec}")
        host, _, container = rest[1:].rpartition(":")
        return ip, host, container
    parts = spec.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    # bare IPv6 address: everything before the last two fields
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def parse_publish(spec: str) -> tuple[dict[str, dict[str, Any]], PortBindings]:
    """One ``-p`` value -> (ExposedPorts, PortBindings)."""
    raw, _, proto = spec.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in ("tcp", "udp", "sctp"):
        raise InvalidArgument(f"invalid proto: {proto}")
    ip, host, container = _split_publish(raw)
    if not container:
        raise InvalidArgument(f"no port specified: {spec}<empty>")
    c_start, c_end = _range(container, "containerPort", spec)
    h_start = h_end = 0
    if host:
        h_start, h_end = _range(host, "hostPort", spec)
    count = c_end - c_start + 1
    if host and (h_end - h_start + 1) != count and count != 1:
        raise InvalidArgument(f"invalid ranges specified for container and host Ports: {spec}")
    exposed: dict[str, dict[str, Any]] = {}
    bindings: PortBindings = {}
    for i in range(count):
        key = f"{c_start + i}/{proto}"
        if not host:
            host_port = ""
        elif count == 1 and h_end != h_start:
            host_port = f"{h_start}-{h_end}"
        else:
            host_port = str(h_start + i)
        exposed[key] = {}
        bindings.setdefault(key, []).append({"HostIp": ip, "HostPort": host_port})
    return exposed, bindings


def parse_expose(spec: str) -> dict[str, dict[str, Any]]:
    """One ``--expose`` value (``80``, ``80-82/udp``) -> ExposedPorts."""
    raw, _, proto = spec.partition("/")
    proto = (proto or "tcp").lower()
    start, end = _range(raw, "range format for --expose", spec)
    return {f"{p}/{proto}": {} for p in range(start, end + 1)}


def merge_publish(specs: list[str]) -> tuple[dict[str, dict[str, Any]], PortBindings]:
    """All ``-p`` values merged the way the docker CLI merges them."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: PortBindings = {}
    for spec in specs:
        e, b = parse_publish(spec)
        exposed.update(e)
        for key, value in b.items():
            bindings.setdefault(key, []).extend(value)
    return exposed, bindings


def format_ports(ports: list[dict[str, Any]]) -> str:
    """The PORTS column of ``docker ps``: ``0.0.0.0:8080->80/tcp, 443/tcp``.

    Consecutive ports with the same IP and protocol are shown as a range.
    """
    groups: dict[tuple[str, str, bool], list[tuple[int, int]]] = {}
    order: list[tuple[str, str, bool]] = []
    for p in sorted(
        ports,
        key=lambda p: (str(p.get("Type", "")), int(p.get("PrivatePort", 0)), str(p.get("IP", ""))),
    ):
        public = int(p.get("PublicPort") or 0)
        ip = str(p.get("IP") or "")
        key = (ip, str(p.get("Type", "tcp")), bool(public))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((int(p.get("PrivatePort", 0)), public))
    out: list[str] = []
    for key in order:
        ip, proto, published = key
        run: list[tuple[int, int]] = []
        for item in groups[key]:
            if run and item[0] == run[-1][0] + 1 and (not published or item[1] == run[-1][1] + 1):
                run.append(item)
            else:
                _flush(out, run, ip, proto, published)
                run = [item]
        _flush(out, run, ip, proto, published)
    return ", ".join(out)


def _flush(
    out: list[str], run: list[tuple[int, int]], ip: str, proto: str, published: bool
) -> None:
    if not run:
        return
    priv = f"{run[0][0]}" if len(run) == 1 else f"{run[0][0]}-{run[-1][0]}"
    if published:
        pub = f"{run[0][1]}" if len(run) == 1 else f"{run[0][1]}-{run[-1][1]}"
        host = f"[{ip}]" if ":" in ip else ip
        out.append(f"{host}:{pub}->{priv}/{proto}")
    else:
        out.append(f"{priv}/{proto}")
