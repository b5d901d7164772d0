"""What compose needs from the engine, and that need met by ``pallet.client``.

:class:`Engine` is the seam between the executor and the Engine API: the executor and
the commands call only these methods, a test gives a fake (``pallet.testing``), and
:class:`ClientEngine` answers them over one ``pallet.client`` transport (palletd or a
real dockerd, whatever ``-H``/``DOCKER_HOST`` names). Documents are the Engine API's
wire JSON; every request opens its own connection, so threads may share one instance.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from pallet.compose import labels
from pallet.errors import NotFound

Wire = dict[str, Any]


class Engine(Protocol):
    def containers(self, project: str, all: bool = True,
                   extra: list[str] | None = None) -> list[Wire]: ...
    def network_hashes(self) -> dict[str, str]: ...
    def volume_hashes(self) -> dict[str, str]: ...
    def project_networks(self, project: str) -> list[Wire]: ...
    def project_volumes(self, project: str) -> list[Wire]: ...
    def create_network(self, body: Wire) -> None: ...
    def create_volume(self, body: Wire) -> None: ...
    def remove_network(self, name: str) -> None: ...
    def remove_volume(self, name: str) -> None: ...
    def create_container(self, name: str, body: Wire) -> str: ...
    def inspect_container(self, ref: str) -> Wire: ...
    def start(self, ref: str) -> None: ...
    def stop(self, ref: str, timeout: int | None) -> None: ...
    def kill(self, ref: str, signal: str | None) -> None: ...
    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None: ...
    def rename(self, ref: str, name: str) -> None: ...
    def put_archive(self, ref: str, path: str, data: bytes) -> None: ...
    def image_id(self, ref: str) -> str | None: ...
    def remove_image(self, ref: str) -> None: ...
    def connect_network(self, network: str, container: str, endpoint: Wire) -> None: ...
    def api_version(self) -> str: ...
    def is_local(self) -> bool: ...


class ClientEngine:
    """:class:`Engine` over ``pallet.client`` (one transport, thread-safe)."""

    def __init__(self, transport: Any) -> None:
        from pallet.client import Client

        self.client = Client(transport)
        self._version: str | None = None
        self._version_lock = threading.Lock()  # containers created at once ask once

    def containers(self, project: str, all: bool = True,
                   extra: list[str] | None = None) -> list[Wire]:
        flt = {"label": [labels.project_filter(project), *(extra or [])]}
        return self.client.containers.list(all=all, filters=flt)

    def network_hashes(self) -> dict[str, str]:
        """Every network's name, with its compose config hash ("" if none)."""
        return {str(n.get("Name", "")): (n.get("Labels") or {}).get(labels.CONFIG_HASH, "")
                for n in self.client.networks.list_raw()}

    def volume_hashes(self) -> dict[str, str]:
        """Every volume's name, with its compose config hash ("" if none)."""
        return {str(v.get("Name", "")): (v.get("Labels") or {}).get(labels.CONFIG_HASH, "")
                for v in self.client.volumes.list_raw()}

    # compose reads names and labels and ignores a create's answer: the client's answers
    # as sent spare an up the typed views' imports and decoding
    def project_networks(self, project: str) -> list[Wire]:
        return self.client.networks.list_raw({"label": [labels.project_filter(project)]})

    def project_volumes(self, project: str) -> list[Wire]:
        return self.client.volumes.list_raw({"label": [labels.project_filter(project)]})

    def create_network(self, body: Wire) -> None:
        self.client.networks.create_raw(body)

    def create_volume(self, body: Wire) -> None:
        self.client.volumes.create_raw(body)

    def remove_network(self, name: str) -> None:
        self.client.networks.remove(name)

    def remove_volume(self, name: str) -> None:
        self.client.volumes.remove(name)

    def create_container(self, name: str, body: Wire) -> str:
        return self.client.containers.create(body, name=name).Id

    def inspect_container(self, ref: str) -> Wire:
        return self.client.containers.inspect(ref)

    def start(self, ref: str) -> None:
        self.client.containers.start(ref)

    def stop(self, ref: str, timeout: int | None) -> None:
        self.client.containers.stop(ref, timeout)

    def kill(self, ref: str, signal: str | None) -> None:
        self.client.containers.kill(ref, signal)

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        self.client.containers.remove(ref, force=force, volumes=volumes)

    def rename(self, ref: str, name: str) -> None:
        self.client.containers.rename(ref, name)

    def put_archive(self, ref: str, path: str, data: bytes) -> None:
        self.client.archive.put(ref, path, data, no_overwrite=False)

    def image_id(self, ref: str) -> str | None:
        try:
            return str(self.client.images.inspect(ref).get("Id", ""))
        except NotFound:
            return None

    def remove_image(self, ref: str) -> None:
        self.client.images.remove(ref)

    def connect_network(self, network: str, container: str, endpoint: Wire) -> None:
        import msgspec

        from pallet.api.models import EndpointSettings

        self.client.networks.connect(network, container,
                                     msgspec.convert(endpoint, EndpointSettings))

    def is_local(self) -> bool:
        """Whether the engine sees this host's files (a unix socket)."""
        return bool(self.client.t.scheme == "unix")

    def api_version(self) -> str:
        """The API version the daemon speaks (settled by a first request)."""
        with self._version_lock:
            if self._version is None:
                self.client.system.version()
                self._version = str(self.client.t.version or "")
            return self._version
