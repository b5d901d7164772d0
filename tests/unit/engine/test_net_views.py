"""A container's ports as list and inspect show them (netplug.views.decorate_container)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from pallet.api.models import ContainerConfig, HostConfig
from pallet.api.view_containers import ContainerInspect, ContainerSummary
from pallet.engine.lifecycle import State
from pallet.engine.netplug.views import decorate_container
from pallet.engine.pluginstate import NetworkState
from pallet.engine.records import Container
from pallet.network.netdoc import PortMapping

PUBLISHED = PortMapping(host_ip="", host_port=8080, container_port=80, protocol="tcp")


def _views(status: State) -> tuple[dict[str, Any], dict[str, Any]]:
    c = Container(id="a" * 64, name="web", image_id="sha256:" + "b" * 64,
                  created="2026-01-01T00:00:00Z", host_config=HostConfig(), path="httpd",
                  config=ContainerConfig(Image="nginx", ExposedPorts={"80/tcp": {},
                                                                      "443/tcp": {}}),
                  status=status)
    st = NetworkState(mode="bridge", ports=[PUBLISHED])
    summary, inspect = ContainerSummary(), ContainerInspect()
    decorate_container(c, st, "", summary)
    decorate_container(c, st, "", inspect)
    wire: tuple[dict[str, Any], dict[str, Any]] = msgspec.to_builtins((summary, inspect))
    return wire


def test_a_live_container_shows_published_and_exposed_ports() -> None:
    summary, inspect = _views(State.RUNNING)
    assert {p["PrivatePort"]: p.get("PublicPort") for p in summary["Ports"]} == {
        80: 8080, 443: None}
    assert inspect["NetworkSettings"]["Ports"] == {
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": None}


@pytest.mark.parametrize("status", [State.CREATED, State.EXITED, State.RESTARTING])
def test_a_container_not_running_shows_no_ports(status: State) -> None:
    summary, inspect = _views(status)
    assert summary["Ports"] == [] and inspect["NetworkSettings"]["Ports"] == {}
