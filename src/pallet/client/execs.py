"""``client.exec``: create a process in a running container, start it (detached or
hijacked), resize its TTY, read its state.

On the ``pallet exec`` path, so no msgspec here (see ``client.containers``).
"""

from __future__ import annotations

from pallet.client.hijack import Hijacked, hijack
from pallet.client.resource import Resource, path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pallet.api.models import ExecConfig


class ExecState:
    """``GET /exec/{id}/json``, the fields a caller waits on."""

    __slots__ = ("ContainerID", "ExitCode", "ID", "Pid", "Running")

    def __init__(self, doc: dict[str, Any]) -> None:
        self.ID = str(doc.get("ID") or "")
        self.ContainerID = str(doc.get("ContainerID") or "")
        self.Running = bool(doc.get("Running"))
        code = doc.get("ExitCode")
        self.ExitCode: int | None = None if code is None else int(code)
        self.Pid = int(doc.get("Pid") or 0)


class Exec(Resource):
    """``/containers/{id}/exec`` and the ``/exec/{id}`` endpoints."""

    def create(self, container: str, config: dict[str, Any] | ExecConfig) -> str:
        """The new exec's ID; ``config`` is the wire dict or an ``ExecConfig``."""
        doc = self._json("POST", path("/containers/{}/exec", container), json_body=config)
        return str(doc["Id"])

    def start_detached(self, exec_id: str, tty: bool = False) -> None:
        self._done("POST", path("/exec/{}/start", exec_id),
                   json_body={"Detach": True, "Tty": tty})

    def start(self, exec_id: str, tty: bool, console: list[int] | None = None) -> Hijacked:
        """Start attached: the hijacked connection carries the process's streams."""
        body: dict[str, Any] = {"Detach": False, "Tty": tty}
        if console:
            body["ConsoleSize"] = console
        return hijack(self.t, "POST", path("/exec/{}/start", exec_id), json_body=body)

    def resize(self, exec_id: str, height: int, width: int) -> None:
        self._done("POST", path("/exec/{}/resize", exec_id), {"h": height, "w": width})

    def inspect(self, exec_id: str) -> ExecState:
        return ExecState(self._json("GET", path("/exec/{}/json", exec_id)))

    def inspect_raw(self, exec_id: str) -> dict[str, Any]:
        """The daemon's document as sent."""
        doc: dict[str, Any] = self._json("GET", path("/exec/{}/json", exec_id))
        return doc
