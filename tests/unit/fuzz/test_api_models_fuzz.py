"""Fuzzing the API request models: any JSON body decodes into its model and passes the
create-time checks, or fails with msgspec's decode errors (the server's 400) or one of
pallet's error kinds; the network and volume create paths run on real SQLite stores."""

from __future__ import annotations

import contextlib
import json
import tempfile
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pallet.api.models import CreateRequest, ExecConfig, HostConfig, UpdateConfig, decode
from pallet.api.netmodels import NetworkCreate, wire_body
from pallet.engine.createcheck import HostLimits, check_create, check_resources
from pallet.engine.netplug.service import NetworkService
from pallet.engine.update import plan_update
from pallet.engine.volplug.service import VolumeService
from pallet.errors import PalletError
from pallet.network.config import NetConfig
from pallet.network.records import NetworkStore
from pallet.system.db import Database
from pallet.volumes.store import VolumeStore

HOST = HostLimits(cpus=frozenset({0, 1}), mems=frozenset({0}))
FIELDS = sorted(
    {f.name for model in (CreateRequest, HostConfig, ExecConfig, UpdateConfig)
     for f in msgspec.structs.fields(model)}
    | {"Name", "Driver", "IPAM", "Config", "Subnet", "Gateway", "IPRange", "Options",
       "DriverOpts", "Soft", "Hard", "HostIp", "HostPort", "Test", "Interval", "Retries",
       "com.docker.network.bridge.name", "com.docker.network.driver.mtu", "mtu", "80/tcp"})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.sampled_from(["", "busybox", "0-1", "abc", "SIGKILL", "SIGFOO", "/t", "size=1m",
                     "bogus=1", "::1", "notanip", "host", "bridge", "10.0.0.0/24", "lo",
                     "x" * 300]),
    st.text(max_size=10),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5),
                                            inner, max_size=6)),
    max_leaves=30,
)
BODY = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8)
DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError)


def _decoded(body: Any, model: type[Any]) -> Any:
    try:
        return decode(json.dumps(body).encode(), model)
    except DECODE_ERRORS:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODY)
def test_container_create_and_update_bodies(body: dict[str, Any]) -> None:
    req = _decoded({"Image": "busybox", **body}, CreateRequest)
    if req is not None:
        try:
            check_create(req, HOST)
        except PalletError:
            pass
    upd = _decoded(body, UpdateConfig)
    if upd is not None:
        try:
            check_resources(plan_update(HostConfig(), upd)[0], HOST)
        except PalletError:
            pass
    _decoded(body, ExecConfig)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(BODY, st.dictionaries(st.text(max_size=5), JSON, max_size=4)))
def test_network_and_volume_create_bodies(body: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "db")
        nets = NetworkService(NetworkStore(db), NetConfig(
            "plfuzz0", "10.97.3.0/24", IPv4Network("10.96.0.0/20"), 24, 0))
        vols = VolumeService(VolumeStore(db, Path(tmp) / "volumes"), [])  # type: ignore[arg-type]
        with contextlib.suppress(PalletError):
            nets.create(wire_body(body, NetworkCreate))  # as the route decodes it
        with contextlib.suppress(PalletError):
            vols.create(body)
        db.close()
