"""Registry authentication as a generator flow (the shape of httpx's ``Auth.auth_flow``).

A flow receives the request to send, *yields* requests and is *sent* the responses:

    flow = auth.flow(request, scope)
    req = next(flow)
    while True:
        resp = transport(req)
        try:
            req = flow.send(resp)
        except StopIteration:
            break   # resp is the final answer

It handles anonymous access, Basic auth and Bearer tokens (the distribution token
spec: ``WWW-Authenticate: Bearer realm=...,service=...,scope=...``, a GET with Basic
credentials or an OAuth2 refresh-token POST for identity tokens). Tokens are cached
per scope; once a registry asked for Basic, later requests send it up front.
No I/O here: the flow is pure and unit-testable with hand-made responses.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from urllib.parse import urlencode

from pallet.errors import Unauthorized
from pallet.registry.http import Request, Response

AuthFlow = Generator[Request, Response, None]
_PARAM = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))')
DEFAULT_TOKEN_LIFETIME = 60.0


@dataclass(frozen=True)
class Credentials:
    """What the user gave: user/password, an identity (refresh) token, or a bearer token."""

    username: str = ""
    password: str = ""
    identity_token: str = ""
    registry_token: str = ""

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.password or self.identity_token or self.registry_token)

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "basic" or "bearer"
    params: dict[str, str]


def parse_challenges(header: str) -> list[Challenge]:
    """``WWW-Authenticate`` -> challenges (several may share one header)."""
    out: list[Challenge] = []
    rest = header.strip()
    while rest:
        m = re.match(r"([A-Za-z][\w-]*)\s*", rest)
        if not m:
            break
        scheme = m.group(1).lower()
        rest = rest[m.end():]
        params: dict[str, str] = {}
        while True:
            pm = _PARAM.match(rest)
            if not pm:
                break
            value = pm.group(2) if pm.group(2) is not None else pm.group(3)
            params[pm.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            rest = rest[pm.end():].lstrip()
            if rest.startswith(","):
                rest = rest[1:].lstrip()
                # a new scheme starts with a bare token not followed by '='
                if re.match(r"[A-Za-z][\w-]*\s+[A-Za-z_][\w-]*\s*=", rest) or re.match(
                    r"[A-Za-z][\w-]*\s*$", rest
                ):
                    break
        out.append(Challenge(scheme, params))
    return out


@dataclass
class _Token:
    value: str
    expires: float


class Authenticator:
    """Auth state for one registry: credentials, the scheme it asked for, cached tokens."""

    def __init__(self, registry: str, creds: Credentials | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = registry
        self.creds = creds or Credentials()
        self._now = clock
        self._basic = False
        self._bearer: Challenge | None = None
        self._tokens: dict[str, _Token] = {}

    # -- the flow ------------------------------------------------------------------------
    def flow(self, request: Request, scope: str = "") -> AuthFlow:
        self._authorize(request, scope)
        response = yield request
        if response.status != 401:
            return
        challenges = parse_challenges(response.header("www-authenticate"))
        bearer = next((c for c in challenges if c.scheme == "bearer"), None)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        if bearer is not None:
            self._bearer = bearer
            wanted = _merge_scopes(scope, bearer.params.get("scope", ""))
            token_response = yield self.token_request(bearer, wanted)
            token = self._read_token(token_response)
            self._tokens[wanted] = token
            if scope != wanted:
                self._tokens.setdefault(scope, token)
            request.headers["Authorization"] = f"Bearer {token.value}"
        elif basic is not None and not self.creds.anonymous and not self._basic:
            self._basic = True
            request.headers["Authorization"] = self.creds.basic_header()
        else:
            return  # nothing more to try: the caller sees the 401
        if not request.replayable:
            raise Unauthorized(f"{self.registry}: authentication needed before a streamed upload")
        yield request

    def _authorize(self, request: Request, scope: str) -> None:
        """Add credentials we already know to work (a cached token, Basic)."""
        if "Authorization" in request.headers:
            return
        if self._bearer is not None:
            tok = self._tokens.get(scope)
            if tok is not None and tok.expires > self._now():
                request.headers["Authorization"] = f"Bearer {tok.value}"
        elif self._basic:
            request.headers["Authorization"] = self.creds.basic_header()

    # -- bearer tokens -------------------------------------------------------------------
    def token_request(self, challenge: Challenge, scope: str) -> Request:
        realm = challenge.params.get("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise Unauthorized(f"{self.registry}: invalid token realm {realm!r}")
        service = challenge.params.get("service", "")
        scopes = scope.split()
        if self.creds.identity_token:
            form = {"grant_type": "refresh_token", "refresh_token": self.creds.identity_token,
                    "service": service, "scope": " ".join(scopes), "client_id": "pallet"}
            body = urlencode(form).encode()
            return Request("POST", realm, {
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": str(len(body))}, body)
        query = [("service", service)] if service else []
        query += [("scope", s) for s in scopes]
        query.append(("client_id", "pallet"))
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        headers = {}
        if self.creds.username or self.creds.password:
            headers["Authorization"] = self.creds.basic_header()
        return Request("GET", url, headers)

    def _read_token(self, response: Response) -> _Token:
        if self.creds.registry_token:
            return _Token(self.creds.registry_token, self._now() + DEFAULT_TOKEN_LIFETIME)
        body = response.read(1 << 20)
        if response.status in (401, 403):
            raise Unauthorized(_denied(self.registry, body))
        if response.status != 200:
            raise Unauthorized(
                f"{self.registry}: token server answered {response.status}"
                + (f": {_short(body)}" if body else ""))
        try:
            doc = json.loads(body)
            value = doc.get("token") or doc.get("access_token")
        except (ValueError, AttributeError):
            value = None
        if not isinstance(value, str) or not value:
            raise Unauthorized(f"{self.registry}: the token server gave no token")
        lifetime = doc.get("expires_in")
        life = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 60.0
        return _Token(value, self._now() + max(life - 5.0, 1.0))


def _merge_scopes(ours: str, theirs: str) -> str:
    seen: list[str] = []
    for s in (*ours.split(), *theirs.split()):
        if s not in seen:
            seen.append(s)
    return " ".join(seen)


def _short(body: bytes) -> str:
    return body.decode(errors="replace").strip().splitlines()[0][:200] if body.strip() else ""


def _denied(registry: str, body: bytes) -> str:
    detail = ""
    try:
        doc = json.loads(body)
        errs = doc.get("errors") if isinstance(doc, dict) else None
        if errs and isinstance(errs, list) and isinstance(errs[0], dict):
            detail = str(errs[0].get("message") or "")
        elif isinstance(doc, dict):
            detail = str(doc.get("details") or doc.get("error") or "")
    except ValueError:
        detail = _short(body)
    return f"{registry}: unauthorized" + (f": {detail}" if detail else "")
