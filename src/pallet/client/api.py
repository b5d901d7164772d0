"""Typed Engine API calls (v1.44 shapes). Answers are wire dicts; streams are
``Response`` objects or hijacked connections. Nothing here prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from pallet.client.hijack import Hijacked, hijack
from pallet.client.http import Body, Response, Transport, quote_ref
from pallet.client.wire import Headers
from pallet.notation.filters import Filters, filters_to_json

Wire = dict[str, Any]


def _filters(filters: Filters | None) -> str | None:
    return filters_to_json(filters) if filters else None


class PendingWait:
    """A ``POST /containers/{id}/wait`` sent now and read later."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def result(self) -> Wire:
        """``{"StatusCode": n, "Error": ...}`` once the condition is met."""
        doc = self.response.json()
        return doc if isinstance(doc, dict) else {"StatusCode": 0}

    def close(self) -> None:
        self.response.close()


class EngineAPI:
    """The Docker Engine API over one transport."""

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    # system ----------------------------------------------------------------
    def ping(self) -> Headers:
        resp = self.t.request("GET", "/_ping", versioned=False, timeout=5)
        resp.read()
        return resp.headers

    def version(self) -> Wire:
        result: Wire = self.t.request("GET", "/version").json()
        return result

    def info(self) -> Wire:
        result: Wire = self.t.request("GET", "/info").json()
        return result

    def events(
        self, since: str | None = None, until: str | None = None, filters: Filters | None = None
    ) -> Response:
        q = {"since": since or None, "until": until or None, "filters": _filters(filters)}
        return self.t.request("GET", "/events", q)

    # containers ------------------------------------------------------------
    def containers(
        self,
        all: bool = False,
        limit: int = -1,
        size: bool = False,
        filters: Filters | None = None,
    ) -> list[Wire]:
        q: dict[str, Any] = {
            "all": True if all else None,
            "limit": limit if limit > 0 else None,
            "size": True if size else None,
            "filters": _filters(filters),
        }
        result: list[Wire] = self.t.request("GET", "/containers/json", q).json() or []
        return result

    def create(self, body: Wire, name: str | None = None, platform: str | None = None) -> Wire:
        q = {"name": name or None, "platform": platform or None}
        result: Wire = self.t.request("POST", "/containers/create", q, json_body=body).json()
        return result

    def inspect_container(self, ref: str, size: bool = False) -> Wire:
        q = {"size": True} if size else None
        result: Wire = self.t.request("GET", f"/containers/{quote_ref(ref)}/json", q).json()
        return result

    def _post(self, ref: str, action: str, query: dict[str, Any] | None = None) -> None:
        self.t.request("POST", f"/containers/{quote_ref(ref)}/{action}", query).read()

    def start(self, ref: str) -> None:
        self._post(ref, "start")

    def stop(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self._post(ref, "stop", {"t": timeout, "signal": signal or None})

    def restart(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self._post(ref, "restart", {"t": timeout, "signal": signal or None})

    def kill(self, ref: str, signal: str | None = None) -> None:
        self._post(ref, "kill", {"signal": signal or None})

    def pause(self, ref: str) -> None:
        self._post(ref, "pause")

    def unpause(self, ref: str) -> None:
        self._post(ref, "unpause")

    def rename(self, ref: str, name: str) -> None:
        self._post(ref, "rename", {"name": name})

    def resize(self, ref: str, height: int, width: int) -> None:
        self._post(ref, "resize", {"h": height, "w": width})

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        q = {"force": True if force else None, "v": True if volumes else None}
        self.t.request("DELETE", f"/containers/{quote_ref(ref)}", q).read()

    def wait(self, ref: str, condition: str | None = None) -> PendingWait:
        """Send the wait request; its headers arrive once the daemon registered it."""
        resp = self.t.request(
            "POST", f"/containers/{quote_ref(ref)}/wait", {"condition": condition or None}
        )
        return PendingWait(resp)

    def top(self, ref: str, ps_args: str | None = None) -> Wire:
        q = {"ps_args": ps_args or None}
        result: Wire = self.t.request("GET", f"/containers/{quote_ref(ref)}/top", q).json()
        return result

    def logs(self, ref: str, **query: Any) -> Response:
        return self.t.request("GET", f"/containers/{quote_ref(ref)}/logs", query)

    def attach(self, ref: str, stdin: bool, stdout: bool, stderr: bool) -> Hijacked:
        q = {
            "stdin": True if stdin else None,
            "stdout": True if stdout else None,
            "stderr": True if stderr else None,
            "stream": True,
        }
        return hijack(self.t, "POST", f"/containers/{quote_ref(ref)}/attach", q)

    def prune_containers(self, filters: Filters | None = None) -> Wire:
        q = {"filters": _filters(filters)}
        result: Wire = self.t.request("POST", "/containers/prune", q).json()
        return result

    # archives --------------------------------------------------------------
    def archive_stat(self, ref: str, path: str) -> Response:
        return self.t.request("HEAD", f"/containers/{quote_ref(ref)}/archive", {"path": path})

    def get_archive(self, ref: str, path: str) -> Response:
        return self.t.request("GET", f"/containers/{quote_ref(ref)}/archive", {"path": path})

    def put_archive(self, ref: str, path: str, body: Body, no_overwrite: bool = True) -> None:
        q = {"path": path, "noOverwriteDirNonDir": "true" if no_overwrite else None}
        self.t.request(
            "PUT",
            f"/containers/{quote_ref(ref)}/archive",
            q,
            body=body,
            headers={"Content-Type": "application/x-tar"},
        ).read()

    # exec ------------------------------------------------------------------
    def exec_create(self, ref: str, config: Wire) -> str:
        doc = self.t.request("POST", f"/containers/{quote_ref(ref)}/exec", json_body=config).json()
        return str(doc["Id"])

    def exec_start_detached(self, exec_id: str, tty: bool = False) -> None:
        self.t.request(
            "POST", f"/exec/{exec_id}/start", json_body={"Detach": True, "Tty": tty}
        ).read()

    def exec_start(self, exec_id: str, tty: bool, console: list[int] | None = None) -> Hijacked:
        body: Wire = {"Detach": False, "Tty": tty}
        if console:
            body["ConsoleSize"] = console
        return hijack(self.t, "POST", f"/exec/{exec_id}/start", json_body=body)

    def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        self.t.request("POST", f"/exec/{exec_id}/resize", {"h": height, "w": width}).read()

    def exec_inspect(self, exec_id: str) -> Wire:
        result: Wire = self.t.request("GET", f"/exec/{exec_id}/json").json()
        return result

    # images ----------------------------------------------------------------
    def images(
        self, all: bool = False, filters: Filters | None = None, digests: bool = False
    ) -> list[Wire]:
        q = {
            "all": True if all else None,
            "filters": _filters(filters),
            "digests": True if digests else None,
        }
        result: list[Wire] = self.t.request("GET", "/images/json", q).json() or []
        return result

    def inspect_image(self, ref: str) -> Wire:
        result: Wire = self.t.request("GET", f"/images/{quote_ref(ref)}/json").json()
        return result

    def history(self, ref: str) -> list[Wire]:
        result: list[Wire] = self.t.request("GET", f"/images/{quote_ref(ref)}/history").json()
        return result

    def tag(self, ref: str, repo: str, tag: str | None) -> None:
        q = {"repo": repo, "tag": tag or None}
        self.t.request("POST", f"/images/{quote_ref(ref)}/tag", q).read()

    def remove_image(self, ref: str, force: bool = False, noprune: bool = False) -> list[Wire]:
        q = {"force": True if force else None, "noprune": True if noprune else None}
        result: list[Wire] = self.t.request("DELETE", f"/images/{quote_ref(ref)}", q).json() or []
        return result

    def prune_images(self, filters: Filters | None = None) -> Wire:
        result: Wire = self.t.request(
            "POST", "/images/prune", {"filters": _filters(filters)}
        ).json()
        return result

    def pull(self, image: str, tag: str | None, platform: str | None = None,
             auth: str = "e30=") -> Response:
        """``auth`` is the X-Registry-Auth value (``e30=`` is ``{}``: anonymous)."""
        q = {"fromImage": image, "tag": tag or None, "platform": platform or None}
        return self.t.request("POST", "/images/create", q, headers={"X-Registry-Auth": auth})

    def bootstrap(self, name: str, **query: Any) -> Response:
        """pallet extension: build a base image locally (busybox, debian...)."""
        return self.t.request("POST", "/pallet/images/bootstrap", {"name": name, **query})

    def save(self, names: list[str]) -> Response:
        return self.t.request("GET", "/images/get", {"names": names})

    def load(self, data: IO[bytes] | Iterator[bytes] | bytes, quiet: bool = False) -> Response:
        return self.t.request(
            "POST",
            "/images/load",
            {"quiet": True if quiet else None},
            body=data,
            headers={"Content-Type": "application/x-tar"},
        )

    def import_image(
        self,
        data: IO[bytes] | Iterator[bytes] | bytes | None,
        source: str,
        repo: str | None,
        tag: str | None,
        changes: list[str],
        message: str | None,
        platform: str | None = None,
    ) -> Response:
        q: dict[str, Any] = {
            "fromSrc": source,
            "repo": repo or None,
            "tag": tag or None,
            "changes": changes or None,
            "message": message or None,
            "platform": platform or None,
        }
        return self.t.request(
            "POST",
            "/images/create",
            q,
            body=data,
            headers={"Content-Type": "application/x-tar"} if data is not None else None,
        )

    # networks / volumes (for inspect --type and friends) ---------------------
    def inspect_network(self, ref: str) -> Wire:
        result: Wire = self.t.request("GET", f"/networks/{quote_ref(ref)}").json()
        return result

    def inspect_volume(self, ref: str) -> Wire:
        result: Wire = self.t.request("GET", f"/volumes/{quote_ref(ref)}").json()
        return result

    def exec_json(self, exec_id: str) -> Wire:
        return self.exec_inspect(exec_id)


def decode_stat(header: str | None) -> Wire:
    """``X-Docker-Container-Path-Stat`` (base64 JSON) -> dict."""
    import base64

    if not header:
        return {}
    try:
        doc = json.loads(base64.b64decode(header))
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
