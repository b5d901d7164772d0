"""An in-memory :class:`pallet.compose.engine.Engine` for compose's unit tests.

It keeps containers (name, labels, state, health, create body), networks and volumes
as an engine would, answers the label filters compose uses, and records every call in
``calls`` (``("start", "p-web-1")``...) so a test can check the order of effects.
``health`` sets what a container's healthcheck reports once it runs.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from pallet.errors import Conflict, Forbidden, NotFound

Wire = dict[str, Any]


class FakeEngine:
    def __init__(self) -> None:
        self.containers_by_id: dict[str, Wire] = {}
        self.networks: dict[str, Wire] = {}
        self.volumes: dict[str, Wire] = {}
        self.in_use: set[str] = set()  # networks and volumes whose removal the engine refuses
        self.images: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.health: dict[str, str] = {}  # container name -> health status when running
        self.exit_codes: dict[str, int] = {}  # container name -> exits at once with this
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self.version = "1.44"
        self.local = True  # False: an engine on another host (no binds of this host's files)
        self.archives: dict[str, list[bytes]] = {}  # container name -> tars put into it

    # helpers -------------------------------------------------------------
    def _record(self, call: str, ref: str) -> None:
        with self.lock:
            self.calls.append((call, ref))

    def find(self, ref: str) -> Wire:
        for c in self.containers_by_id.values():
            if c["Id"] == ref or c["Name"] == ref:
                return c
        raise NotFound(f"No such container: {ref}")

    def names(self) -> list[str]:
        return sorted(c["Name"] for c in self.containers_by_id.values())

    @staticmethod
    def _match(doc_labels: dict[str, str], filters: list[str]) -> bool:
        for f in filters:
            key, sep, value = f.partition("=")
            if key not in doc_labels or (sep and doc_labels[key] != value):
                return False
        return True

    # Engine --------------------------------------------------------------
    def containers(self, project: str, all: bool = True,
                   extra: list[str] | None = None) -> list[Wire]:
        want = [f"com.docker.compose.project={project}", *(extra or [])]
        out = []
        for c in self.containers_by_id.values():
            if self._match(c["Labels"], want) and (all or c["State"]["Status"] == "running"):
                out.append({"Id": c["Id"], "Names": ["/" + c["Name"]], "Labels": c["Labels"],
                            "State": c["State"]["Status"], "Image": c["Body"].get("Image")})
        return out

    def network_hashes(self) -> dict[str, str]:
        return {name: (body.get("Labels") or {}).get("com.docker.compose.config-hash", "")
                for name, body in self.networks.items()}

    def volume_hashes(self) -> dict[str, str]:
        return {name: (body.get("Labels") or {}).get("com.docker.compose.config-hash", "")
                for name, body in self.volumes.items()}

    def project_networks(self, project: str) -> list[Wire]:
        return [n for n in self.networks.values()
                if n["Labels"].get("com.docker.compose.project") == project]

    def project_volumes(self, project: str) -> list[Wire]:
        return [v for v in self.volumes.values()
                if v["Labels"].get("com.docker.compose.project") == project]

    def create_network(self, body: Wire) -> None:
        self._record("create_network", body["Name"])
        if body["Name"] in self.networks:
            raise Conflict(f"network with name {body['Name']} already exists")
        self.networks[body["Name"]] = body

    def create_volume(self, body: Wire) -> None:
        self._record("create_volume", body["Name"])
        self.volumes.setdefault(body["Name"], body)

    def remove_network(self, name: str) -> None:
        self._record("remove_network", name)
        if name in self.in_use:
            raise Forbidden(f"error while removing network: network {name} has active endpoints")
        if self.networks.pop(name, None) is None:
            raise NotFound(f"network {name} not found")

    def remove_volume(self, name: str) -> None:
        self._record("remove_volume", name)
        if name in self.in_use:
            raise Conflict(f"remove {name}: volume is in use")
        if self.volumes.pop(name, None) is None:
            raise NotFound(f"get {name}: no such volume")

    def create_container(self, name: str, body: Wire) -> str:
        self._record("create", name)
        with self.lock:
            if any(c["Name"] == name for c in self.containers_by_id.values()):
                raise Conflict(f'Conflict. The container name "/{name}" is already in use')
            cid = f"{next(self._ids):064x}"
            mounts = [{"Type": "volume", "Destination": m["Target"], "RW": True,
                       "Name": m.get("Source") or f"{next(self._ids):064x}"}
                      for m in (body.get("HostConfig") or {}).get("Mounts") or []
                      if m.get("Type") == "volume"]
            self.containers_by_id[cid] = {
                "Mounts": mounts,
                "Id": cid, "Name": name, "Labels": dict(body.get("Labels") or {}),
                "Body": body, "State": {"Status": "created", "Running": False, "ExitCode": 0}}
        return cid

    def inspect_container(self, ref: str) -> Wire:
        c = self.find(ref)
        doc = {"Id": c["Id"], "Name": "/" + c["Name"], "State": dict(c["State"]),
               "Config": {"Labels": c["Labels"]}, "Mounts": c["Mounts"]}
        status = self.health.get(c["Name"])
        if status and c["State"]["Status"] == "running":
            doc["State"]["Health"] = {"Status": status}
        return doc

    def start(self, ref: str) -> None:
        c = self.find(ref)
        self._record("start", c["Name"])
        code = self.exit_codes.get(c["Name"])
        if code is None:
            c["State"] = {"Status": "running", "Running": True, "ExitCode": 0}
        else:
            c["State"] = {"Status": "exited", "Running": False, "ExitCode": code}

    def stop(self, ref: str, timeout: int | None) -> None:
        c = self.find(ref)
        self._record("stop", c["Name"])
        if c["State"]["Status"] == "running":
            c["State"] = {"Status": "exited", "Running": False, "ExitCode": 0}

    def kill(self, ref: str, signal: str | None) -> None:
        c = self.find(ref)
        self._record("kill", c["Name"])
        c["State"] = {"Status": "exited", "Running": False, "ExitCode": 137}

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        c = self.find(ref)
        self._record("remove", c["Name"])
        del self.containers_by_id[c["Id"]]

    def rename(self, ref: str, name: str) -> None:
        c = self.find(ref)
        self._record("rename", f"{c['Name']}->{name}")
        c["Name"] = name

    def put_archive(self, ref: str, path: str, data: bytes) -> None:
        name = self.find(ref)["Name"]
        self._record("put_archive", name)
        self.archives.setdefault(name, []).append(data)

    def is_local(self) -> bool:
        return self.local

    def image_id(self, ref: str) -> str | None:
        return self.images.get(ref)

    def connect_network(self, network: str, container: str, endpoint: Wire) -> None:
        c = self.find(container)
        self._record("connect", f"{c['Name']}@{network}")
        c["Body"].setdefault("NetworkingConfig", {}).setdefault(
            "EndpointsConfig", {})[network] = endpoint

    def api_version(self) -> str:
        return self.version

    def remove_image(self, ref: str) -> None:
        self._record("remove_image", ref)
        if self.images.pop(ref, None) is None:
            raise NotFound(f"No such image: {ref}")
