"""``pallet port CONTAINER [PRIVATE_PORT[/PROTO]]``."""

from __future__ import annotations

from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command
from pallet.cli.session import api
from pallet.cli.util import echo


def _sort_key(item: tuple[str, list[dict[str, str]] | None]) -> tuple[int, str]:
    port, _, proto = item[0].partition("/")
    return (int(port) if port.isdigit() else 0, proto)


@command()
@argument("container")
@argument("private_port", required=False)
def port(container: str, private_port: str | None) -> None:
    """List port mappings or a specific mapping for the container."""
    doc = api().containers.inspect(container)
    ports = (doc.get("NetworkSettings") or {}).get("Ports") or {}
    if private_port:
        key = private_port if "/" in private_port else private_port + "/tcp"
        bindings = ports.get(key)
        if not bindings:
            raise StatusError(1, f"Error: No public port '{key}' published for {container}")
        for b in bindings:
            echo(f"{b['HostIp']}:{b['HostPort']}")
        return
    for key, bindings in sorted(ports.items(), key=_sort_key):
        for b in bindings or []:
            echo(f"{key} -> {b['HostIp']}:{b['HostPort']}")
