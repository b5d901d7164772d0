"""Registry part (issue 6): pull, push, login and distribution inspect.

:class:`RegistryOps` serves ``server/routes_registry.py``'s router (push, auth,
distribution) and, through the engine backend it is handed to in the wiring, the
image router's pulls. Pulls and pushes run in worker threads; their progress is
bridged into the response stream.

Plain-HTTP registries: loopback hosts (as Docker) and those the daemon
configuration's ``insecure-registries`` lists.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from pallet.api.responses import AuthResponse
from pallet.daemon.parts import Part, PartContext
from pallet.engine.events import EventBus
from pallet.errors import InvalidArgument, NotFound
from pallet.images.pull import pull
from pallet.images.push import push
from pallet.images.service import ImageService
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci import reference
from pallet.oci.compression import GZIP, Compression
from pallet.oci.reference import Reference
from pallet.registry.auth import Credentials
from pallet.registry.client import RegistryClient
from pallet.registry.credentials import decode_header, from_auth_config, registry_host
from pallet.server.routes_registry import make_routes

Wire = dict[str, Any]
Emit = Callable[[Wire], None]


class _Cancelled(Exception):
    """The client went away: stop the worker at its next progress message."""


class RegistryOps:
    def __init__(self, images: ImageService, events: EventBus,
                 insecure: tuple[str, ...] = ()) -> None:
        self.images = images
        self.events = events
        self.insecure = insecure

    def client(self, host: str, creds: Credentials) -> RegistryClient:
        return RegistryClient(host, creds, self.insecure)

    # -- pull -----------------------------------------------------------------------------
    def pull(self, image: str, tag: str, auth: str, platform: str = "",
             all_tags: bool = False) -> AsyncIterator[Wire]:
        ref = reference.with_tag(image, tag)
        creds, _ = decode_header(auth)
        client = self.client(ref.domain, creds)

        def work(emit: Emit) -> None:
            refs = [ref]
            if all_tags and not tag:
                refs = [ref.with_tag(t) for t in sorted(client.tags(ref.path))]
                if not refs:
                    raise NotFound(f"{ref.familiar_name}: no tags")
            for r in refs:
                pull(self.images, client, r, emit, platform or None)
                self.events.publish("image", "pull", r.familiar, {"name": r.familiar})

        return _stream(work)

    # -- push -----------------------------------------------------------------------------
    def push(self, name: str, tag: str, auth: str,
             compression: Compression = GZIP) -> AsyncIterator[Wire]:
        base = reference.parse(name, default_tag=False)
        if base.digest:
            raise InvalidArgument("cannot push a digest reference")
        if base.tag and tag:
            raise InvalidArgument(reference.INVALID)
        tag = tag or base.tag or ""
        if tag:
            refs = [Reference(base.domain, base.path, tag)]
            self.images.resolve(str(refs[0]))  # 404 before the stream starts
        else:
            refs = self._local_tags(base)
            if not refs:
                raise NotFound(f"An image does not exist locally with the tag: {base.familiar}")
        creds, _ = decode_header(auth)
        client = self.client(base.domain, creds)

        def work(emit: Emit) -> None:
            for r in refs:
                push(self.images, client, r, emit, compression=compression)
                self.events.publish("image", "push", r.familiar, {"name": r.familiar})

        return _stream(work)

    def _local_tags(self, base: Reference) -> list[Reference]:
        out = []
        for img in self.images.list():
            for t in img.repo_tags:
                r = reference.parse(t)
                if r.name == base.name and r.tag:
                    out.append(r)
        return sorted(out, key=lambda r: r.tag or "")

    # -- login, distribution ----------------------------------------------------------------
    async def login(self, body: Wire) -> AuthResponse:
        creds, server = from_auth_config(body)
        client = self.client(registry_host(server), creds)
        await asyncio.to_thread(client.ping)
        return AuthResponse(Status="Login Succeeded", IdentityToken="")

    async def distribution(self, name: str, auth: str) -> Wire:
        ref = reference.parse(name)
        creds, _ = decode_header(auth)
        client = self.client(ref.domain, creds)
        fetched = await asyncio.to_thread(client.get_manifest, ref.path,
                                          ref.digest or ref.tag or "latest")
        doc = om.decode(fetched.data, "manifest")
        media = doc.get("mediaType") or fetched.media_type
        platforms: list[Wire] = []
        if media in mt.INDEXES or "manifests" in doc:
            for m in doc.get("manifests") or []:
                p = m.get("platform") if isinstance(m, dict) else None
                if isinstance(p, dict) and p.get("os") != "unknown":
                    platforms.append(p)
        else:
            cdesc = om.check_descriptor(doc.get("config"), "manifest")
            resp = await asyncio.to_thread(client.open_blob, ref.path, cdesc["digest"])
            config = om.decode(await asyncio.to_thread(resp.read, 1 << 22), "config")
            platforms.append({"architecture": config.get("architecture", ""),
                              "os": config.get("os", "")})
        return {"Descriptor": {"mediaType": media, "digest": str(fetched.digest),
                               "size": len(fetched.data)}, "Platforms": platforms}


async def _stream(work: Callable[[Emit], None]) -> AsyncIterator[Wire]:
    """Run ``work`` in a thread; yield what it emits; re-raise what it raises."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancelled = threading.Event()

    def emit(item: Wire) -> None:
        if cancelled.is_set():
            raise _Cancelled()
        loop.call_soon_threadsafe(queue.put_nowait, ("item", item))

    def run() -> None:
        try:
            work(emit)
        except BaseException as e:
            loop.call_soon_threadsafe(queue.put_nowait, ("error", e))
        else:
            loop.call_soon_threadsafe(queue.put_nowait, ("done", None))

    threading.Thread(target=run, name="registry", daemon=True).start()
    try:
        while True:
            kind, value = await queue.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        cancelled.set()


def install(ctx: PartContext, ops: RegistryOps) -> Part:
    """The registry router over ``ops``, which the wiring also hands the engine backend
    as its puller (``POST /images/create`` is the image router's)."""
    return Part(name="registry", routes=list(make_routes(ops)),
                info={"RegistryConfig": {"IndexConfigs": {},
                                         "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                                         "InsecureRegistries": list(ops.insecure)}})
