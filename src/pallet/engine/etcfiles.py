"""The per-container ``/etc/hostname``, ``/etc/hosts`` and ``/etc/resolv.conf``.

They live in the container's directory and are bind-mounted over the image's
files, as dockerd does, so they never land in the container's upper layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pallet.oci.runtimemount import OciMount
from pallet.system.atomic import write_bytes


def hosts_file(hostname: str, ips: Sequence[str] = (), extra: Sequence[str] = ()) -> str:
    lines = [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "ff00::0\tip6-mcastprefix",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
    ]
    for entry in extra:
        host, _, ip = entry.partition("=" if "=" in entry else ":")
        lines.append(f"{ip}\t{host}")
    for ip in ips:
        lines.append(f"{ip}\t{hostname}")
    return "\n".join(lines) + "\n"


def resolv_conf(host_resolv: str, servers: Sequence[str] = (), search: Sequence[str] = (),
                options: Sequence[str] = ()) -> str:
    """The host's resolv.conf, minus loopback servers (unreachable from a netns)."""
    if servers or search or options:
        out = [f"nameserver {s}" for s in servers]
        if search:
            out.append("search " + " ".join(search))
        if options:
            out.append("options " + " ".join(options))
        return "\n".join(out) + "\n"
    kept = []
    for line in host_resolv.splitlines():
        parts = line.split()
        if parts[:1] == ["nameserver"] and len(parts) > 1 and (
            parts[1].startswith("127.") or parts[1] == "::1"
        ):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def etc_texts(
    hostname: str, *, ips: Sequence[str] = (), extra_hosts: Sequence[str] = (),
    dns: Sequence[str] = (), dns_search: Sequence[str] = (), dns_options: Sequence[str] = (),
) -> dict[str, str]:
    """The three files' contents, by name."""
    try:
        host_resolv = Path("/etc/resolv.conf").read_text()
    except OSError:
        host_resolv = ""
    return {
        "hostname": hostname + "\n",
        "hosts": hosts_file(hostname, ips, extra_hosts),
        "resolv.conf": resolv_conf(host_resolv, dns, dns_search, dns_options),
    }


def write_etc_files(cdir: Path, hostname: str, **parts: Sequence[str]) -> list[OciMount]:
    """Write the three files (``parts``: as for ``etc_texts``); return their OCI bind mounts."""
    mounts: list[OciMount] = []
    for name, text in etc_texts(hostname, **parts).items():
        path = cdir / name
        write_bytes(path, text.encode(), 0o644, durable=False)  # made again each start
        mounts.append(OciMount(destination=f"/etc/{name}", type="bind", source=str(path),
                               options=["rbind", "rprivate"]))
    return mounts


def refresh_etc_files(cdir: Path, hostname: str, only: Sequence[str] = (),
                      **parts: Sequence[str]) -> None:
    """Rewrite the files (``only`` these names, if given) in place: once bind-mounted,
    a new inode would not be seen."""
    for name, text in etc_texts(hostname, **parts).items():
        if only and name not in only:
            continue
        with open(cdir / name, "r+b") as f:
            data = text.encode()
            if f.read() != data:
                f.seek(0)
                f.write(data)
                f.truncate()
