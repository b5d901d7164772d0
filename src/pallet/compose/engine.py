"""What compose needs from the engine, and that need met by ``pallet.client``.

:class:`Engine` is the seam between the executor and the Engine API: the executor and
the commands call only these methods, a test gives a fake (``pallet.testing``), and
:class:`ClientEngine` answers them over one ``pallet.client`` transport (palletd or a
real dockerd, whatever ``-H``/``DOCKER_HOST`` names). Documents are the Engine API's
wire JSON; every request opens its own connection, so threads may share one instance.
"""

from __future__ import annotations

from typing import Any, Protocol

from pallet.compose import labels
from pallet.errors import NotFound

Wire = dict[str, Any]


class Engine(Protocol):
    def containers(self, project: str, all: bool = True,
                   extra: list[str] | None = None) -> list[Wire]: ...
    def network_names(self) -> list[str]: ...
    def volume_names(self) -> list[str]: ...
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


class ClientEngine:
    """:class:`Engine` over ``pallet.client`` (one transport, thread-safe)."""

    def __init__(self, transport: Any) -> None:
        from pallet.client.api import EngineAPI

        self.t = transport
        self.api = EngineAPI(transport)

    def containers(self, project: str, all: bool = True,
                   extra: list[str] | None = None) -> list[Wire]:
        flt = {"label": [labels.project_filter(project), *(extra or [])]}
        return self.api.containers(all=all, filters=flt)

    def _list(self, path: str, flt: dict[str, list[str]] | None) -> Any:
        from pallet.notation.filters import filters_to_json

        query = {"filters": filters_to_json(flt)} if flt else None
        return self.t.request("GET", path, query).json()

    def network_names(self) -> list[str]:
        return [str(n.get("Name", "")) for n in self._list("/networks", None) or []]

    def volume_names(self) -> list[str]:
        doc = self._list("/volumes", None) or {}
        return [str(v.get("Name", "")) for v in doc.get("Volumes") or []]

    def project_networks(self, project: str) -> list[Wire]:
        found: list[Wire] = self._list(
            "/networks", {"label": [labels.project_filter(project)]}) or []
        return found

    def project_volumes(self, project: str) -> list[Wire]:
        doc = self._list("/volumes", {"label": [labels.project_filter(project)]}) or {}
        found: list[Wire] = doc.get("Volumes") or []
        return found

    def create_network(self, body: Wire) -> None:
        self.t.request("POST", "/networks/create", json_body=body).read()

    def create_volume(self, body: Wire) -> None:
        self.t.request("POST", "/volumes/create", json_body=body).read()

    def remove_network(self, name: str) -> None:
        from pallet.client.http import quote_ref

        self.t.request("DELETE", f"/networks/{quote_ref(name)}").read()

    def remove_volume(self, name: str) -> None:
        from pallet.client.http import quote_ref

        self.t.request("DELETE", f"/volumes/{quote_ref(name)}").read()

    def create_container(self, name: str, body: Wire) -> str:
        return str(self.api.create(body, name=name)["Id"])

    def inspect_container(self, ref: str) -> Wire:
        return self.api.inspect_container(ref)

    def start(self, ref: str) -> None:
        self.api.start(ref)

    def stop(self, ref: str, timeout: int | None) -> None:
        self.api.stop(ref, timeout)

    def kill(self, ref: str, signal: str | None) -> None:
        self.api.kill(ref, signal)

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        self.api.remove(ref, force=force, volumes=volumes)

    def rename(self, ref: str, name: str) -> None:
        self.api.rename(ref, name)

    def put_archive(self, ref: str, path: str, data: bytes) -> None:
        self.api.put_archive(ref, path, data, no_overwrite=False)

    def image_id(self, ref: str) -> str | None:
        try:
            return str(self.api.inspect_image(ref).get("Id", ""))
        except NotFound:
            return None

    def remove_image(self, ref: str) -> None:
        self.api.remove_image(ref)
