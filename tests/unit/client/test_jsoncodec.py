"""``pallet.client.jsoncodec`` gives ``json``'s bytes, values and errors."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from pallet.client import jsoncodec

INSPECT = {
    "Id": "4f1c" * 16,
    "Created": "2026-12-07T02:27:58.227113Z",
    "Path": "sleep",
    "Args": ["3600"],
    "State": {"Status": "running", "Running": True, "Paused": False, "Pid": 4242,
              "ExitCode": 0, "Error": "", "Health": None},
    "Config": {"Env": ["PATH=/usr/bin", "GREETING=héllo wörld ✓"], "Cmd": ["sh", "-c",
               "echo \"quoted\" \\ back\tslash\n"], "Labels": {"com.example/ünï": "😀"},
               "Tty": False, "OpenStdin": False, "StopTimeout": None},
    "HostConfig": {"NanoCpus": 1500000000, "CpuShares": 0, "Memory": 2 ** 40,
                   "BlkioWeight": 0, "CpuQuota": -1},
    "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
                        "Networks": {}},
    "Mounts": [],
}
FLOATS = [0.0, -0.0, 0.1, 1.5e-7, 1e100, -2.5e-308, 123456789.125, 1 / 3, 5e-324,
          1.7976931348623157e308]
STRINGS = ["", "plain", "é", "中文", "😀 non-BMP", "\u2028\u2029", "\x00\x01\x1f\x7f",
           "\\", '"', "/", "\ud800 lone surrogate", "tab\there"]


def _random_doc(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-(2 ** 70), 2 ** 70)
    if kind == 2:
        return rng.choice(FLOATS) * rng.choice([1, -1, 3.7])
    if kind in (3, 4, 5):
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x110000)]))
                       for _ in range(rng.randrange(12)))
    if kind in (6, 7):
        return {rng.choice(STRINGS) + str(i): _random_doc(rng, depth + 1)
                for i in range(rng.randrange(5))}
    return [_random_doc(rng, depth + 1) for _ in range(rng.randrange(5))]


@pytest.mark.parametrize("doc", [INSPECT, {}, [], {"a": FLOATS}, {"s": STRINGS},
                                 [None, True, False, 0, -1, 2 ** 64, [[[]]], {"": {}}]])
def test_dumps_and_loads_match_json(doc: Any) -> None:
    want = json.dumps(doc, separators=(",", ":")).encode()
    assert jsoncodec.dumps(doc) == want
    assert jsoncodec.loads(want) == json.loads(want)
    spaced = json.dumps(doc, indent=2).encode() + b"\r\n \t"
    assert jsoncodec.loads(spaced) == json.loads(spaced)


def test_random_documents_match_json() -> None:
    rng = random.Random(14)
    for _ in range(400):
        doc = {"k": _random_doc(rng)}
        text = json.dumps(doc, separators=(",", ":")).encode()
        assert jsoncodec.dumps(doc) == text
        assert repr(jsoncodec.loads(text)) == repr(json.loads(text))
        raw = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
        assert repr(jsoncodec.loads(raw)) == repr(json.loads(raw))


def test_dumps_keys_and_specials_as_json_does() -> None:
    doc = {1: "int key", 2.5: "float key", False: "bool key", None: "null key"}
    assert jsoncodec.dumps(doc) == json.dumps(doc, separators=(",", ":")).encode()
    specials = [math.inf, -math.inf, math.nan, (1, 2)]
    assert jsoncodec.dumps(specials) == b"[Infinity,-Infinity,NaN,[1,2]]"
    assert jsoncodec.dumps("top-level é") == json.dumps("top-level é").encode()


def test_loads_constants_and_bare_values() -> None:
    got = jsoncodec.loads(b'{"a":NaN,"b":Infinity,"c":-Infinity,"d":1E3,"e":-0}')
    assert math.isnan(got["a"]) and got["b"] == math.inf and got["c"] == -math.inf
    assert got["d"] == 1000.0 and isinstance(got["d"], float) and got["e"] == 0
    assert jsoncodec.loads(b" 42 ") == 42
    assert jsoncodec.loads(b'"x"') == "x"


@pytest.mark.parametrize("data", [
    b'{"a":1} {"b":2}', b'{"a":', b"[1,]", b'{"a":"\x01"}', b"{\"a\":'x'}", b"",
    b'{"a":1}x', b"\xff\xfe", b'{"a":"\xff"}',
])
def test_loads_errors_are_jsons(data: bytes) -> None:
    with pytest.raises(ValueError) as want:
        json.loads(data)
    with pytest.raises(ValueError) as got:
        jsoncodec.loads(data)
    assert type(got.value) is type(want.value)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32"])
def test_loads_other_encodings_as_json_does(encoding: str) -> None:
    data = json.dumps(INSPECT, ensure_ascii=False).encode(encoding)
    assert jsoncodec.loads(data) == json.loads(data) == INSPECT


def test_dumps_errors_are_jsons() -> None:
    loop: list[Any] = []
    loop.append(loop)
    for bad in ({"s": {1, 2}}, loop, {(1, 2): "tuple key"}, [b"bytes"]):
        with pytest.raises((TypeError, ValueError)) as want:
            json.dumps(bad, separators=(",", ":"))
        with pytest.raises((TypeError, ValueError)) as got:
            jsoncodec.dumps(bad)
        assert type(got.value) is type(want.value)
        assert str(got.value) == str(want.value)
