"""``--dry-run``: an :class:`~pallet.compose.engine.Engine` that reads the real engine
but changes nothing, as Compose v2's dry-run client does. Creates answer with a made-up
ID, every other change succeeds without a request, so a command runs its whole plan and
prints what it would do (its progress lines say ``DRY-RUN MODE``).
"""

from __future__ import annotations

import itertools
from typing import Any

from pallet.compose.engine import Engine

Wire = dict[str, Any]


class DryRunEngine:
    def __init__(self, real: Engine) -> None:
        self.real = real
        self.made: dict[str, str] = {}  # made-up id -> name
        self._ids = itertools.count(1)

    # reads go to the engine
    def containers(self, project: str, all: bool = True,
                   extra: list[str] | None = None) -> list[Wire]:
        return self.real.containers(project, all, extra)

    def network_hashes(self) -> dict[str, str]:
        return self.real.network_hashes()

    def volume_hashes(self) -> dict[str, str]:
        return self.real.volume_hashes()

    def project_networks(self, project: str) -> list[Wire]:
        return self.real.project_networks(project)

    def project_volumes(self, project: str) -> list[Wire]:
        return self.real.project_volumes(project)

    def image_id(self, ref: str) -> str | None:
        return self.real.image_id(ref)

    def api_version(self) -> str:
        return self.real.api_version()

    def is_local(self) -> bool:
        return self.real.is_local()

    def inspect_container(self, ref: str) -> Wire:
        if ref in self.made:  # a container this run only pretended to make
            return {"Id": ref, "Name": "/" + self.made[ref], "Mounts": [],
                    "State": {"Status": "running", "Running": True,
                              "Health": {"Status": "healthy"}}}
        return self.real.inspect_container(ref)

    # changes do nothing
    def create_container(self, name: str, body: Wire) -> str:
        ident = f"{next(self._ids):064x}"
        self.made[ident] = name
        return ident

    def create_network(self, body: Wire) -> None: ...
    def create_volume(self, body: Wire) -> None: ...
    def remove_network(self, name: str) -> None: ...
    def remove_volume(self, name: str) -> None: ...
    def start(self, ref: str) -> None: ...
    def stop(self, ref: str, timeout: int | None) -> None: ...
    def kill(self, ref: str, signal: str | None) -> None: ...
    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None: ...
    def rename(self, ref: str, name: str) -> None: ...
    def put_archive(self, ref: str, path: str, data: bytes) -> None: ...
    def remove_image(self, ref: str) -> None: ...
    def connect_network(self, network: str, container: str, endpoint: Wire) -> None: ...
