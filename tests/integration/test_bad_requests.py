"""A corpus of bad Engine API requests against a real palletd: every one answers 4xx (never
a 500), with the reason; bad create values leave no record, bundle or snapshot behind (they
are refused before anything is made, so no start can leave a cgroup)."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration



def _tar(files: dict[str, bytes | None], pax: dict[str, str] | None = None) -> bytes:
    """A tar of regular files (None: a symlink with an empty target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.pax_headers = dict(pax or {})
            if data is None:
                info.type = tarfile.SYMTYPE
                tf.addfile(info)
                continue
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _create(**body: Any) -> tuple[str, str, Any]:
    return "POST", "/containers/create", {"Image": "busybox", "Cmd": ["true"], **body}


def _hc(**fields: Any) -> tuple[str, str, Any]:
    return _create(HostConfig=fields)


TAR = {"Content-Type": "application/x-tar"}
CREATES: dict[str, tuple[str, str, Any]] = {
    "memory below 6 MB": _hc(Memory=1000),
    "memory above int64": _hc(Memory=1 << 63),
    "CpuQuota 1": _hc(CpuQuota=1),
    "bad CpusetCpus": _hc(CpusetCpus="abc"),
    "unavailable CpusetCpus": _hc(CpusetCpus="4096"),
    "OomScoreAdj 5000": _hc(OomScoreAdj=5000),
    "unknown ulimit": _hc(Ulimits=[{"Name": "foo", "Soft": 1, "Hard": 1}]),
    "300-character hostname": _create(Hostname="h" * 300),
    "bad tmpfs option": _hc(Tmpfs={"/t": "bogus=1"}),
    "non-IP HostIp": _create(ExposedPorts={"80/tcp": {}}, HostConfig={
        "PortBindings": {"80/tcp": [{"HostIp": "notanip", "HostPort": "18080"}]}}),
    "Healthcheck.Interval 1 ns": _create(Healthcheck={"Test": ["CMD", "true"], "Interval": 1}),
    "StopSignal SIGFOO": _create(StopSignal="SIGFOO"),
    "Labels of the wrong type": _create(Labels=["a"]),
    "Env of the wrong type": _create(Env="A=1"),
    "huge env entry": _create(Env=["A=" + "x" * (200 * 1024)]),
    "huge labels": _create(Labels={f"l{i}": "x" * 100_000 for i in range(4)}),
    "NUL in a bind source": _hc(Binds=["/tmp\x00:/x"]),
    "NUL in the command": _create(Cmd=["ec\x00ho"]),
}
OTHERS: dict[str, tuple[str, str, Any]] = {
    "kill signal 999": ("POST", "/containers/{probe}/kill?signal=999", None),
    "kill signal SIGFOO": ("POST", "/containers/{probe}/kill?signal=SIGFOO", None),
    "NUL in archive GET path": ("GET", "/containers/{probe}/archive?path=/etc%00x", None),
    "NUL in archive HEAD path": ("HEAD", "/containers/{probe}/archive?path=/etc%00x", None),
    "NUL in archive PUT path": ("PUT", "/containers/{probe}/archive?path=/tmp%00x",
                                _tar({"f": b"x"})),
    "container prune until=garbage": ("POST", '/containers/prune?filters={"until":["garbage"]}',
                                      None),
    "image prune until=garbage": ("POST", '/images/prune?filters={"until":["garbage"]}', None),
    "network prune until=garbage": ("POST", '/networks/prune?filters={"until":["garbage"]}',
                                    None),
    "build prune until=garbage": ("POST", '/build/prune?filters={"until":["garbage"]}', None),
    "import of a broken tar": ("POST", "/images/create?fromSrc=-&repo=broken",
                               b"not a tar at all" * 64),
    "load of a broken tar": ("POST", "/images/load", b"not a tar" * 200),
    "load of a broken manifest.json": ("POST", "/images/load",
                                       _tar({"manifest.json": b"{not json"})),
    "load of a manifest.json of the wrong shape": ("POST", "/images/load",
                                                   _tar({"manifest.json": b'{"a": 1}'})),
    "build of a non-tar context": ("POST", "/build?t=bad-ctx", b"not a tar" * 200),
    "IPAM.Config of the wrong type": ("POST", "/networks/create",
                                      {"Name": "bad-ipam", "IPAM": {"Config": "x"}}),
    "network Labels of the wrong type": ("POST", "/networks/create",
                                         {"Name": "bad-labels", "Labels": ["a"]}),
    "network Internal of the wrong type": ("POST", "/networks/create",
                                           {"Name": "bad-internal", "Internal": "yes"}),
    "network ConfigFrom of the wrong type": ("POST", "/networks/create",
                                             {"Name": "bad-cfgfrom", "ConfigFrom": "base"}),
    "config-only network": ("POST", "/networks/create", {"Name": "bad-cfg", "ConfigOnly": True}),
    "network mtu=abc": ("POST", "/networks/create", {
        "Name": "bad-mtu", "Options": {"com.docker.network.driver.mtu": "abc"}}),
    "300-character volume name": ("POST", "/volumes/create", {"Name": "v" * 300}),
    "volume Labels of the wrong type": ("POST", "/volumes/create",
                                        {"Name": "bad-vl", "Labels": ["a"]}),
    "bridge name too long": ("POST", "/networks/create", {
        "Name": "bad-br", "Options": {"com.docker.network.bridge.name": "b" * 16}}),
    "body that is not JSON": ("POST", "/containers/create", b"{nope"),
    "truncated archive PUT": ("PUT", "/containers/{probe}/archive?path=/tmp",
                              _tar({"a/b": b"x" * 2000, "c": b"y"})[:1100]),
    # found by the fuzz tests (tests/unit/fuzz)
    "import of a symlink without a target": ("POST", "/images/create?fromSrc=-&repo=fz1",
                                             _tar({"a": None})),
    "import of an xattr the kernel refuses": ("POST", "/images/create?fromSrc=-&repo=fz2",
                                              _tar({"f": b"1"}, {"SCHILY.xattr.security"
                                                                 ".capability": ""})),
    "build of a lone line continuation": ("POST", "/build?t=fz3", _tar({"Dockerfile": b"\\"})),
}


@pytest.fixture
def probe(palletd: Any, busybox: str) -> Iterator[str]:
    name = "bad-requests-probe"
    palletd.json("POST", f"/containers/create?name={name}",
                 {"Image": busybox, "Cmd": ["sleep", "300"]})
    palletd.json("POST", f"/containers/{name}/start")
    try:
        yield name
    finally:
        palletd.request("DELETE", f"/containers/{name}?force=1")


def _send(d: Any, method: str, path: str, body: Any) -> tuple[int, bytes]:
    headers = TAR if isinstance(body, bytes) and not path.startswith("/containers/create") \
        else None
    status, raw = d.request(method, path, body, headers=headers)
    return int(status), bytes(raw)


def _leftovers(d: Any) -> tuple[list[str], list[str], list[str]]:
    """Records, bundles and snapshots (a cgroup comes only with a start of a record)."""
    records = sorted(c["Id"] for c in d.json("GET", "/containers/json?all=1"))
    bundles = sorted(p.name for p in (Path(d.root) / "containers").iterdir())
    snapshots = sorted(p.name for p in (Path(d.root) / "snapshots" / "k").iterdir())
    return records, bundles, snapshots


@pytest.mark.parametrize("case", sorted(CREATES))
def test_bad_create_is_4xx_and_leaves_nothing(palletd: Any, busybox: str, case: str) -> None:
    before = _leftovers(palletd)
    method, path, body = CREATES[case]
    status, raw = _send(palletd, method, path, body)
    assert 400 <= status < 500, (case, status, raw)
    assert json.loads(raw)["message"]
    assert _leftovers(palletd) == before


@pytest.mark.usefixtures("remove_bad_objects")
@pytest.mark.parametrize("case", sorted(OTHERS))
def test_bad_request_is_4xx(palletd: Any, probe: str, case: str) -> None:
    method, path, body = OTHERS[case]
    status, raw = _send(palletd, method, path.replace("{probe}", probe), body)
    if path == "/images/load":  # as dockerd: a bad archive is an error in the load stream
        assert status == 200 and b'"errorDetail"' in raw, (case, status, raw)
        return
    assert 400 <= status < 500, (case, status, raw)
    if method != "HEAD":
        assert b"message" in raw or b"error" in raw, raw


@pytest.fixture
def remove_bad_objects(palletd: Any) -> Iterator[None]:
    """Removes what a wrongly accepted request would have made."""
    yield
    for net in ("bad-ipam", "bad-labels", "bad-mtu", "bad-br", "bad-internal", "bad-cfgfrom",
                "bad-cfg"):
        palletd.request("DELETE", f"/networks/{net}")
    for vol in ("bad-vl",):
        palletd.request("DELETE", f"/volumes/{vol}")


STARTS: dict[str, dict[str, Any]] = {
    "missing command": {"Entrypoint": ["/nonexistent"]},
    "command not executable": {"Entrypoint": ["/etc"]},
    "sysctl value the kernel refuses": {"HostConfig": {
        "Sysctls": {"net.ipv4.ip_forward": "abc"}}},
}


@pytest.mark.parametrize("case", sorted(STARTS))
def test_start_refused_for_the_containers_own_config_is_4xx(palletd: Any, busybox: str,
                                                            case: str) -> None:
    """What only the runtime can refuse (as dockerd answers 400 for a missing command)."""
    name = "bad-start-" + case.replace(" ", "-")
    try:
        palletd.json("POST", f"/containers/create?name={name}",
                     {"Image": busybox, "Cmd": ["true"], **STARTS[case]})
        status, raw = palletd.request("POST", f"/containers/{name}/start")
        assert 400 <= status < 500, (case, status, raw)
        assert b"OCI runtime create failed" in raw
    finally:
        palletd.request("DELETE", f"/containers/{name}?force=1")
