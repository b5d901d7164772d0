"""A real registry for tests: Debian's ``docker-registry`` (distribution 2.8) on
127.0.0.1 with a temporary config and storage, open, with htpasswd Basic auth, or
with token auth served by a tiny in-process token server (RS256 JWTs signed with a
throw-away key; ``cryptography`` builds the key and the registry's root cert).

Started and stopped by PID; ``stop()`` kills only the process it started.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REGISTRY_BIN = "/usr/bin/docker-registry"
SERVICE = "pallet-test-registry"
ISSUER = "pallet-test-issuer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid(public_der: bytes) -> str:
    """docker/libtrust's key ID: base32(sha256(DER)[:30]) in 4-char groups."""
    b32 = base64.b32encode(hashlib.sha256(public_der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, 48, 4))


class TokenServer:
    """``GET /token?service=&scope=`` with Basic credentials -> a signed JWT."""

    def __init__(self, base: Path, users: dict[str, str]) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.users = users
        self.requests: list[dict[str, Any]] = []
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = time.time()
        import datetime as dt

        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(dt.datetime.fromtimestamp(now - 3600, dt.UTC))
                .not_valid_after(dt.datetime.fromtimestamp(now + 86400, dt.UTC))
                .sign(self.key, hashes.SHA256()))
        self.cert_path = base / "token-root.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        der = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = libtrust_kid(der)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        q = parse_qs(urlsplit(h.path).query)
        auth = h.headers.get("Authorization", "")
        user = ""
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if self.users.get(u) != p:
                self.requests.append({"user": u, "denied": True})
                h.send_response(401)
                h.send_header("Content-Type", "application/json")
                body = b'{"details":"invalid username or password"}'
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)
                return
            user = u
        access = []
        for scope in q.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            granted = [a for a in actions.split(",") if user or a == "pull"]
            access.append({"type": kind, "name": name, "actions": granted})
        self.requests.append({"user": user, "scope": q.get("scope", []), "access": access})
        body = json.dumps({"token": self.sign(user, access), "expires_in": 300}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def sign(self, subject: str, access: list[dict[str, Any]]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(), "access": access}
        signing = (_b64url(json.dumps(header).encode()) + "."
                   + _b64url(json.dumps(claims).encode()))
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + _b64url(sig)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class RegistryServer:
    """``docker-registry serve`` on 127.0.0.1:<free port>; auth: none|htpasswd|token."""

    def __init__(self, base: Path, auth: str = "none",
                 users: dict[str, str] | None = None) -> None:
        self.base = base
        self.auth = auth
        self.users = users or {"alice": "wonderland"}
        self.storage = base / "storage"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.token: TokenServer | None = None
        self.log = base / "registry.log"

    def _config(self) -> str:
        lines = [
            "version: 0.1", "log:", "  level: info", "  accesslog:", "    disabled: false",
            "storage:", "  filesystem:", f"    rootdirectory: {self.storage}",
            "  delete:", "    enabled: true", "http:", f"  addr: {self.host}",
        ]
        if self.auth == "htpasswd":
            path = self.base / "htpasswd"
            with open(path, "w") as f:
                for u, p in self.users.items():
                    out = subprocess.run(["htpasswd", "-Bbn", u, p], capture_output=True,
                                         text=True, check=True).stdout.strip()
                    f.write(out + "\n")
            lines += ["auth:", "  htpasswd:", "    realm: pallet-test", f"    path: {path}"]
        elif self.auth == "token":
            self.token = TokenServer(self.base, self.users)
            lines += ["auth:", "  token:", f"    realm: {self.token.realm}",
                      f"    service: {SERVICE}", f"    issuer: {ISSUER}",
                      f"    rootcertbundle: {self.token.cert_path}"]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 15.0) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        cfg = self.base / "config.yml"
        if not cfg.exists():
            cfg.write_text(self._config())
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(cfg)],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited:\n{self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # 401: up, and asking for credentials
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not start")

    def stop(self) -> None:
        """Stop the registry this object started (by PID); the token server stays."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        if self.token is not None:
            with contextlib.suppress(Exception):
                self.token.close()

    @classmethod
    @contextlib.contextmanager
    def serving(cls, auth: str = "none", users: dict[str, str] | None = None,
                prefix: str = "pallet-reg-") -> Iterator[RegistryServer]:
        """A started registry in a temporary directory, stopped and removed afterwards.

        Fails (not skips) when docker-registry is missing: every tier must run.
        """
        if not Path(REGISTRY_BIN).exists():
            raise RuntimeError(f"{REGISTRY_BIN} is missing: run ./scripts/setup")
        base = Path(tempfile.mkdtemp(prefix=prefix))
        reg = cls(base, auth, users)
        try:
            reg.start()
            yield reg
        finally:
            reg.close()
            shutil.rmtree(base, ignore_errors=True)

    def blob_path(self, digest: str) -> Path:
        hex_ = digest.removeprefix("sha256:")
        return (self.storage / "docker/registry/v2/blobs/sha256" / hex_[:2] / hex_ / "data")

    def blob_gets(self, digest: str) -> int:
        """How many GETs of ``digest`` the access log shows."""
        text = self.log.read_text(errors="replace")
        return sum(1 for line in text.splitlines()
                   if "GET /v2/" in line and f"/blobs/{digest}" in line)
