"""The auth generator flow, driven by hand-made responses (no server)."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from pallet.errors import Unauthorized
from pallet.registry.auth import Authenticator, Credentials, parse_challenges
from pallet.registry.http import Request, Response

BEARER = ('Bearer realm="https://auth.example/token",service="reg.example",'
          'scope="repository:team/app:pull"')


def resp(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Response:
    return Response(status, {k.lower(): v for k, v in (headers or {}).items()}, "u", body=body)


def test_challenges_parse_several_schemes_and_quoted_commas() -> None:
    got = parse_challenges('Basic realm="a, b", Bearer realm="https://x/t",service="s"')
    assert [c.scheme for c in got] == ["basic", "bearer"]
    assert got[0].params == {"realm": "a, b"}
    assert got[1].params == {"realm": "https://x/t", "service": "s"}


def test_anonymous_registry_needs_one_request() -> None:
    flow = Authenticator("reg").flow(Request("GET", "https://reg/v2/"), "")
    first = next(flow)
    assert "Authorization" not in first.headers
    with pytest.raises(StopIteration):
        flow.send(resp(200))


def test_bearer_flow_fetches_a_scoped_token_with_basic_creds_and_caches_it() -> None:
    auth = Authenticator("reg.example", Credentials("alice", "pw"))
    scope = "repository:team/app:pull"
    flow = auth.flow(Request("GET", "https://reg/v2/team/app/manifests/1"), scope)
    next(flow)
    token_req = flow.send(resp(401, {"WWW-Authenticate": BEARER}))
    url = urllib.parse.urlsplit(token_req.url)
    q = urllib.parse.parse_qs(url.query)
    assert url.netloc == "auth.example" and token_req.method == "GET"
    assert q["service"] == ["reg.example"] and q["scope"] == [scope]
    assert token_req.headers["Authorization"] == "Basic " + base64.b64encode(b"alice:pw").decode()
    retried = flow.send(resp(200, body=json.dumps({"token": "T1", "expires_in": 300}).encode()))
    assert retried.headers["Authorization"] == "Bearer T1"
    with pytest.raises(StopIteration):
        flow.send(resp(200))
    # the next request with the same scope carries the token up front
    flow2 = auth.flow(Request("GET", "https://reg/v2/team/app/blobs/x"), scope)
    assert next(flow2).headers["Authorization"] == "Bearer T1"


def test_push_scope_is_merged_with_the_challenge_scope() -> None:
    auth = Authenticator("reg.example")
    flow = auth.flow(Request("POST", "https://reg/v2/team/app/blobs/uploads/", body=b""),
                     "repository:team/app:pull,push")
    next(flow)
    token_req = flow.send(resp(401, {"WWW-Authenticate": BEARER}))
    scopes = urllib.parse.parse_qs(urllib.parse.urlsplit(token_req.url).query)["scope"]
    assert scopes == ["repository:team/app:pull,push", "repository:team/app:pull"]
    assert "Authorization" not in token_req.headers  # anonymous token


def test_identity_token_uses_the_oauth2_refresh_grant() -> None:
    auth = Authenticator("reg.example", Credentials(identity_token="REFRESH"))
    flow = auth.flow(Request("GET", "https://reg/v2/"), "")
    next(flow)
    token_req = flow.send(resp(401, {"WWW-Authenticate": BEARER}))
    assert token_req.method == "POST"
    form = urllib.parse.parse_qs(bytes(token_req.body or b"").decode())  # type: ignore[arg-type]
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["REFRESH"]
    final = flow.send(resp(200, body=b'{"access_token": "A"}'))
    assert final.headers["Authorization"] == "Bearer A"


def test_rejected_credentials_raise_unauthorized_with_the_servers_words() -> None:
    flow = Authenticator("reg.example", Credentials("alice", "bad")).flow(
        Request("GET", "https://reg/v2/"), "")
    next(flow)
    flow.send(resp(401, {"WWW-Authenticate": BEARER}))
    with pytest.raises(Unauthorized, match=r"reg\.example: unauthorized: invalid username"):
        flow.send(resp(401, body=b'{"details": "invalid username or password"}'))


def test_basic_flow_retries_once_then_sends_basic_up_front() -> None:
    auth = Authenticator("reg", Credentials("u", "p"))
    flow = auth.flow(Request("GET", "http://reg/v2/"), "")
    assert "Authorization" not in next(flow).headers
    retried = flow.send(resp(401, {"WWW-Authenticate": 'Basic realm="r"'}))
    assert retried.headers["Authorization"].startswith("Basic ")
    with pytest.raises(StopIteration):
        flow.send(resp(401))  # still refused: no loop, the caller sees the 401
    nxt = auth.flow(Request("GET", "http://reg/v2/x"), "")
    assert next(nxt).headers["Authorization"].startswith("Basic ")


def test_basic_challenge_without_credentials_gives_back_the_401() -> None:
    flow = Authenticator("reg").flow(Request("GET", "http://reg/v2/"), "")
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(resp(401, {"WWW-Authenticate": 'Basic realm="r"'}))


def test_streamed_body_cannot_be_replayed_after_a_challenge() -> None:
    req = Request("PUT", "http://reg/v2/x", body=iter([b"x"]), replayable=False)
    flow = Authenticator("reg", Credentials("u", "p")).flow(req, "s")
    next(flow)
    with pytest.raises(Unauthorized, match="streamed upload"):
        flow.send(resp(401, {"WWW-Authenticate": 'Basic realm="r"'}))


def test_expired_tokens_are_not_reused() -> None:
    now = [100.0]
    auth = Authenticator("reg.example", clock=lambda: now[0])
    flow = auth.flow(Request("GET", "https://reg/v2/"), "s")
    next(flow)
    flow.send(resp(401, {"WWW-Authenticate": BEARER}))
    flow.send(resp(200, body=b'{"token": "T", "expires_in": 60}'))
    assert next(auth.flow(Request("GET", "https://reg/v2/"), "s")).headers["Authorization"]
    now[0] += 120
    assert "Authorization" not in next(auth.flow(Request("GET", "https://reg/v2/"), "s")).headers
