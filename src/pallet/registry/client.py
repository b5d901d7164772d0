"""A distribution-spec (OCI registry API v2) client for one registry host.

Manifests (OCI and Docker schema 2, indexes and manifest lists), blobs (streamed;
callers verify), uploads (monolithic or chunked PATCH, cross-repository mount,
existence checks) and tag lists. Every request goes through the registry's
:class:`~pallet.registry.auth.Authenticator` flow. Synchronous: the engine runs it
in worker threads (one keep-alive connection per thread).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import quote, urljoin, urlsplit

from pallet.errors import DataCorruption, InvalidArgument, NotFound, PalletError, Unavailable
from pallet.oci import mediatypes as mt
from pallet.oci.digest import Digest, sha256_bytes
from pallet.registry.auth import Authenticator, Credentials
from pallet.registry.errors import raise_for
from pallet.registry.http import Pool, Request, Response

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
MAX_MANIFEST = 4 << 20
MANIFEST_ACCEPT = ", ".join(
    (mt.OCI_INDEX, mt.DOCKER_MANIFEST_LIST, mt.OCI_MANIFEST, mt.DOCKER_MANIFEST)
)
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Fetched:
    data: bytes
    media_type: str
    digest: Digest


def is_insecure_default(host: str) -> bool:
    """Docker's default: loopback registries may use plain HTTP."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _pull(repo: str) -> str:
    return f"repository:{repo}:pull"


def _push(repo: str) -> str:
    return f"repository:{repo}:pull,push"


class RegistryClient:
    """One registry, e.g. ``127.0.0.1:5000`` or ``docker.io``."""

    def __init__(self, host: str, creds: Credentials | None = None,
                 insecure: Iterable[str] = (), pool: Pool | None = None) -> None:
        self.host = host
        api_host = DOCKER_HUB_API if host == DOCKER_HUB else host
        plain = host in set(insecure) or is_insecure_default(host)
        self.base = f"{'http' if plain else 'https'}://{api_host}/v2/"
        self.auth = Authenticator(host, creds)
        self.pool = pool or Pool()

    # -- transport --------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + path

    def send(self, req: Request, scope: str = "") -> Response:
        """Send through the auth flow; follows redirects (without credentials off-host)."""
        flow = self.auth.flow(req, scope)
        out = next(flow)
        while True:
            resp = self.pool.send(out)
            try:
                out = flow.send(resp)
            except StopIteration:
                break
            resp.read()
        for _ in range(5):
            if resp.status not in (301, 302, 303, 307, 308) or not resp.location:
                return resp
            if req.method not in ("GET", "HEAD"):
                return resp
            resp.read()
            target = resp.location
            same = urlsplit(target).netloc == urlsplit(req.url).netloc
            headers = {k: v for k, v in req.headers.items() if k != "Authorization" or same}
            resp = self.pool.send(Request(req.method, target, headers))
        return resp

    def ping(self) -> None:
        """``GET /v2/``, authenticating if asked: checks the credentials (login)."""
        resp = self.send(Request("GET", self.url("")), "")
        if resp.status >= 400:
            raise_for(resp, f"login to {self.host} failed")
        resp.read()

    # -- manifests ----------------------------------------------------------------------
    def get_manifest(self, repo: str, ref: str) -> Fetched:
        """The manifest or index named by tag or digest; a digest is verified."""
        req = Request("GET", self.url(f"{repo}/manifests/{quote(ref)}"),
                      {"Accept": MANIFEST_ACCEPT})
        resp = self.send(req, _pull(repo))
        if resp.status != 200:
            sep = "@" if ref.startswith("sha256:") else ":"
            what = f"manifest for {self.host}/{repo}{sep}{ref}"
            raise_for(resp, f"{what} not found" if resp.status == 404 else what)
        data = resp.read(MAX_MANIFEST + 1)
        if len(data) > MAX_MANIFEST:
            raise DataCorruption(f"manifest {repo}:{ref} is too large")
        digest = sha256_bytes(data)
        if ref.startswith("sha256:") and digest != ref:
            raise DataCorruption(f"manifest {repo}@{ref}: content has digest {digest}")
        media = resp.header("content-type").split(";")[0].strip()
        return Fetched(data, media, digest)


    def put_manifest(self, repo: str, ref: str, data: bytes, media_type: str) -> Digest:
        req = Request("PUT", self.url(f"{repo}/manifests/{quote(ref)}"),
                      {"Content-Type": media_type, "Content-Length": str(len(data))}, data)
        resp = self.send(req, _push(repo))
        if resp.status not in (200, 201, 202):
            raise_for(resp, f"pushing manifest {repo}:{ref}")
        resp.read()
        digest = sha256_bytes(data)
        got = resp.header("docker-content-digest")
        if got and got != digest:
            raise DataCorruption(f"registry stored manifest as {got}, expected {digest}")
        return digest

    def tags(self, repo: str) -> list[str]:
        out: list[str] = []
        url: str | None = self.url(f"{repo}/tags/list?n=1000")
        while url:
            resp = self.send(Request("GET", url), _pull(repo))
            if resp.status != 200:
                raise_for(resp, f"listing tags of {self.host}/{repo}")
            import json

            doc = json.loads(resp.read(MAX_MANIFEST))
            out.extend(str(t) for t in (doc.get("tags") or []))
            link = resp.header("link")
            url = urljoin(url, link.split(";")[0].strip("<> ")) if link else None
        return out

    # -- blobs ----------------------------------------------------------------------------
    def open_blob(self, repo: str, digest: str, offset: int = 0) -> Response:
        """A streamed blob body (the caller verifies digest and size); from ``offset`` with
        a Range request: status 206 when the registry honours it, else 200 and all of it."""
        headers = {"Range": f"bytes={offset}-"} if offset > 0 else {}
        resp = self.send(Request("GET", self.url(f"{repo}/blobs/{digest}"), headers),
                         _pull(repo))
        if resp.status == 206 and not resp.header("content-range").startswith(
                f"bytes {offset}-"):
            resp.close()
            raise DataCorruption(f"blob {digest}: registry answered another range "
                                 f"({resp.header('content-range')}) than bytes={offset}-")
        if resp.status not in (200, 206):
            raise_for(resp, f"blob {digest} of {self.host}/{repo}")
        return resp

    def blob_size(self, repo: str, digest: str, scope: str | None = None) -> int | None:
        """The size of a blob the registry has in ``repo``, or None."""
        resp = self.send(Request("HEAD", self.url(f"{repo}/blobs/{digest}")), scope or _pull(repo))
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise_for(resp, f"checking blob {digest}")
        try:
            return int(resp.header("content-length"))
        except ValueError:
            return 0

    def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        """Cross-repository mount; False when the registry would rather take an upload."""
        scope = f"{_push(repo)} {_pull(from_repo)}"
        url = self.url(f"{repo}/blobs/uploads/?mount={quote(digest)}&from={quote(from_repo)}")
        resp = self.send(Request("POST", url, {"Content-Length": "0"}, b""), scope)
        resp.read()
        if resp.status == 201:
            return True
        if resp.status == 202 and resp.location:
            self._cancel(resp.location, repo)
            return False
        if resp.status in (401, 403, 404):
            return False
        raise_for(resp, f"mounting blob {digest}")
        return False  # pragma: no cover

    def _cancel(self, location: str, repo: str) -> None:
        try:
            self.send(Request("DELETE", location), _push(repo)).read()
        except PalletError:
            pass

    def upload_blob(self, repo: str, digest: str, size: int, opener: Callable[[], IO[bytes]],
                    chunk_size: int | None = None, progress: Progress | None = None) -> None:
        """Upload a blob: one PUT (monolithic) or PATCHes of ``chunk_size`` then a PUT."""
        scope = _push(repo)
        location = self._start_upload(repo)
        with opener() as f:
            if chunk_size is None or chunk_size >= size:
                body = _Counting(f, size, progress)
                req = Request("PUT", _with_digest(location, digest),
                              {"Content-Type": "application/octet-stream",
                               "Content-Length": str(size)}, body, replayable=False)
                resp = self.send(req, scope)
            else:
                offset = 0
                while offset < size:
                    n = min(chunk_size, size - offset)
                    body = _Counting(f, n, progress)
                    req = Request("PATCH", location, {
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(n),
                        "Content-Range": f"{offset}-{offset + n - 1}"}, body, replayable=False)
                    resp = self.send(req, scope)
                    if resp.status != 202:
                        raise_for(resp, f"uploading {digest} to {self.host}/{repo}")
                    resp.read()
                    location = resp.location or location
                    offset += n
                resp = self.send(Request("PUT", _with_digest(location, digest),
                                         {"Content-Length": "0"}, b""), scope)
        self._finished(resp, repo, digest)

    def upload_stream(self, repo: str, body: Streamed) -> None:
        """Upload chunks of unknown length and digest: one streamed (chunked) PATCH, then
        the PUT naming the digest the chunks turned out to have."""
        scope = _push(repo)
        start = self._start_upload(repo)
        req = Request("PATCH", start, {"Content-Type": "application/octet-stream"},
                      iter(body), replayable=False)
        resp = self.send(req, scope)
        if resp.status != 202:
            raise_for(resp, f"uploading to {self.host}/{repo}")
        resp.read()
        location = resp.location or start
        digest = body.digest
        resp = self.send(Request("PUT", _with_digest(location, digest),
                                 {"Content-Length": "0"}, b""), scope)
        self._finished(resp, repo, digest)

    def _start_upload(self, repo: str) -> str:
        """``POST .../blobs/uploads/``: the upload's location."""
        start = self.send(Request("POST", self.url(f"{repo}/blobs/uploads/"),
                                  {"Content-Length": "0"}, b""), _push(repo))
        if start.status != 202 or not start.location:
            raise_for(start, f"starting an upload to {self.host}/{repo}")
        start.read()
        return start.location

    def _finished(self, resp: Response, repo: str, digest: str) -> None:
        """Check the answer to an upload's final PUT."""
        if resp.status not in (201, 204):
            raise_for(resp, f"uploading {digest} to {self.host}/{repo}")
        resp.read()
        got = resp.header("docker-content-digest")
        if got and got != digest:
            raise DataCorruption(f"registry stored {digest} as {got}")


class Streamed(Protocol):
    """Chunks whose digest is known once they have all been read."""

    def __iter__(self) -> Iterator[bytes]: ...
    @property
    def digest(self) -> str: ...


class _Counting:
    """At most ``limit`` bytes of ``f``, reporting progress; a short source is an error."""

    def __init__(self, f: IO[bytes], limit: int, progress: Progress | None) -> None:
        self.f = f
        self.left = limit
        self.progress = progress

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n)
        if not data:
            raise DataCorruption("blob is shorter than its size")
        self.left -= len(data)
        if self.progress is not None:
            self.progress(len(data))
        return data


def _with_digest(location: str, digest: str) -> str:
    return location + ("&" if "?" in location else "?") + f"digest={quote(digest)}"


def split_host_repo(name: str) -> tuple[str, str]:
    """``127.0.0.1:5000/team/bb`` -> (``127.0.0.1:5000``, ``team/bb``)."""
    host, _, repo = name.partition("/")
    if not repo:
        raise InvalidArgument(f"invalid repository name {name!r}")
    return host, repo


__all__ = ["Fetched", "NotFound", "RegistryClient", "Unavailable", "split_host_repo"]
