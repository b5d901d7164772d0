"""Legacy links: Docker's link variables and names, and network link aliases."""

from __future__ import annotations

import pytest

from pallet.api.models import ContainerConfig, HostConfig
from pallet.engine.links import link_env, parse_link
from pallet.engine.netplug.wants import linked_as
from pallet.engine.pluginstate import NetworkEntry, NetworkState
from pallet.engine.records import Container
from pallet.errors import InvalidArgument


def _ctr(cid: str, name: str, env: list[str] | None = None,
         ports: dict[str, dict[str, str]] | None = None) -> Container:
    return Container(id=cid * 64, name=name, image_id="sha256:x", created="",
                     config=ContainerConfig(Env=env, ExposedPorts=ports),
                     host_config=HostConfig())


def test_parse_link() -> None:
    assert parse_link("db:mydb") == ("db", "mydb")
    assert parse_link("/db:/web/mydb") == ("db", "mydb")  # the inspect form
    assert parse_link("db") == ("db", "db")
    with pytest.raises(InvalidArgument):
        parse_link(":x")


def test_link_env_names_ports_and_the_targets_environment() -> None:
    target = _ctr("a", "redis", env=["FOO=1", "PATH=/bin", "HOME=/root"],
                  ports={"6379/tcp": {}, "53/udp": {}})
    env = link_env("web", "my-db", target, "10.0.0.5")
    assert env[0] == "MY_DB_NAME=/web/my-db"
    assert "MY_DB_PORT=udp://10.0.0.5:53" in env  # the lowest port
    assert "MY_DB_PORT_6379_TCP=tcp://10.0.0.5:6379" in env
    assert "MY_DB_PORT_6379_TCP_ADDR=10.0.0.5" in env
    assert "MY_DB_PORT_53_UDP_PROTO=udp" in env
    assert "MY_DB_ENV_FOO=1" in env
    assert not any(e.startswith(("MY_DB_ENV_PATH", "MY_DB_ENV_HOME")) for e in env)


def test_linked_as_collects_aliases_other_containers_give_on_that_network() -> None:
    upstream = _ctr("u", "upstream")
    linker = _ctr("l", "linker")
    linker.extras.network = NetworkState(networks=[
        NetworkEntry(id="n1", links=["upstream:bar"]),
        NetworkEntry(id="n2", links=["upstream:baz"])])
    assert linked_as(upstream, "n1", [linker, upstream]) == ["bar"]
    assert linked_as(upstream, "n3", [linker]) == []
    assert linked_as(linker, "n1", [linker]) == []
