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

from pallet.client.resource import Resource, filters_query, flag, path
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


class _Wire(Resource):
    """Engine API requests answered as wire JSON: compose reads and writes the API's
    documents as they are, and ``pallet.client``'s resource modules (typed views, attach
    and log streams) cost an ``up`` more to import than its requests take."""

    def json(self, method: str, url_path: str, query: dict[str, Any] | None = None,
             body: Wire | None = None) -> Any:
        return self._json(method, url_path, query, json_body=body)

    def done(self, method: str, url_path: str, query: dict[str, Any] | None = None,
             body: Wire | None = None) -> None:
        self._done(method, url_path, query, json_body=body)


class ClientEngine:
    """:class:`Engine` over one ``pallet.client`` transport (thread-safe)."""

    def __init__(self, transport: Any) -> None:
        from pallet.client import Client

        self.client = Client(transport)
        self.wire = _Wire(transport)
        self._version: str | None = None
        self._version_lock = threading.Lock()  # containers created at once ask once

    def containers(self, project: str, all: bool = True,
                   extra: list[str] | None = None) -> list[Wire]:
        flt = {"label": [labels.project_filter(project), *(extra or [])]}
        found: list[Wire] = self.wire.json("GET", "/containers/json", {
            "all": flag(all), "filters": filters_query(flt)}) or []
        return found

    def _networks(self, filters: dict[str, list[str]] | None = None) -> list[Wire]:
        found: list[Wire] = self.wire.json("GET", "/networks",
                                           {"filters": filters_query(filters)}) or []
        return found

    def _volumes(self, filters: dict[str, list[str]] | None = None) -> list[Wire]:
        doc = self.wire.json("GET", "/volumes", {"filters": filters_query(filters)}) or {}
        return list(doc.get("Volumes") or [])

    def network_hashes(self) -> dict[str, str]:
        """Every network's name, with its compose config hash ("" if none)."""
        return {str(n.get("Name", "")): (n.get("Labels") or {}).get(labels.CONFIG_HASH, "")
                for n in self._networks()}

    def volume_hashes(self) -> dict[str, str]:
        """Every volume's name, with its compose config hash ("" if none)."""
        return {str(v.get("Name", "")): (v.get("Labels") or {}).get(labels.CONFIG_HASH, "")
                for v in self._volumes()}

    def project_networks(self, project: str) -> list[Wire]:
        return self._networks({"label": [labels.project_filter(project)]})

    def project_volumes(self, project: str) -> list[Wire]:
        return self._volumes({"label": [labels.project_filter(project)]})

    def create_network(self, body: Wire) -> None:
        self.wire.done("POST", "/networks/create", body=body)

    def create_volume(self, body: Wire) -> None:
        self.wire.done("POST", "/volumes/create", body=body)

    def remove_network(self, name: str) -> None:
        self.wire.done("DELETE", path("/networks/{}", name))

    def remove_volume(self, name: str) -> None:
        self.wire.done("DELETE", path("/volumes/{}", name))

    def create_container(self, name: str, body: Wire) -> str:
        doc = self.wire.json("POST", "/containers/create", {"name": name or None}, body)
        return str(doc["Id"])

    def inspect_container(self, ref: str) -> Wire:
        doc: Wire = self.wire.json("GET", path("/containers/{}/json", ref))
        return doc

    def start(self, ref: str) -> None:
        self.wire.done("POST", path("/containers/{}/start", ref))

    def stop(self, ref: str, timeout: int | None) -> None:
        self.wire.done("POST", path("/containers/{}/stop", ref), {"t": timeout})

    def kill(self, ref: str, signal: str | None) -> None:
        self.wire.done("POST", path("/containers/{}/kill", ref), {"signal": signal or None})

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        self.wire.done("DELETE", path("/containers/{}", ref),
                       {"force": flag(force), "v": flag(volumes)})

    def rename(self, ref: str, name: str) -> None:
        self.wire.done("POST", path("/containers/{}/rename", ref), {"name": name})

    def put_archive(self, ref: str, path: str, data: bytes) -> None:
        self.client.archive.put(ref, path, data, no_overwrite=False)

    def image_id(self, ref: str) -> str | None:
        try:
            return str(self.wire.json("GET", path("/images/{}/json", ref)).get("Id", ""))
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
                self.wire.done("GET", "/version")
                self._version = str(self.client.t.version or "")
            return self._version
