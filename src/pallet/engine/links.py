"""Legacy container links (``--link name:alias``, ``HostConfig.Links``).

At each start a linked container must be running; the linking container gets, as with
dockerd, the link's environment variables (``ALIAS_NAME=/me/alias``, ``ALIAS_PORT...`` for each
exposed port of the target, ``ALIAS_ENV_KEY=value`` for the target's own environment but HOME
and PATH) and ``/etc/hosts`` entries for the alias and the target's name at its address. The
container's own environment wins over a link's. ``DELETE /containers/me/alias?link=1`` drops a
link from the record.
"""

from __future__ import annotations

from typing import Protocol

from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container
from pallet.errors import InvalidArgument, NotFound


class Records(Protocol):
    def resolve(self, ref: str) -> Container: ...

    def save(self, c: Container) -> None: ...


def parse_link(text: str) -> tuple[str, str]:
    """``"name:alias"`` (or ``"name"``) -> (target name, alias); leading slashes dropped."""
    name, _, alias = text.partition(":")
    name = name.strip("/")
    alias = (alias or name).rsplit("/", 1)[-1]
    if not name or not alias:
        raise InvalidArgument(f"invalid link: {text!r}")
    return name, alias


def shown_links(c: Container) -> list[str] | None:
    """``HostConfig.Links`` as dockerd shows them: ``/target:/container/alias``."""
    if not c.host_config.Links:
        return None
    return [f"/{t}:/{c.name}/{a}" for t, a in map(parse_link, c.host_config.Links)]


def address_of(target: Container) -> str:
    """The target's address: on the default bridge if it is there, else its first network."""
    st = target.extras.network
    if st is None:
        return ""
    by_name = {e.name: e.id for e in st.networks}
    ep = st.endpoints.get(by_name.get("bridge", "")) or next(iter(st.endpoints.values()), None)
    return ep.ip if ep else ""


def link_env(me: str, alias: str, target: Container, ip: str) -> list[str]:
    """Docker's link variables for ``target`` known as ``alias`` by container ``me``."""
    prefix = alias.upper().replace("-", "_").replace(".", "_")
    env = [f"{prefix}_NAME=/{me}/{alias}"]
    ports = sorted((target.config.ExposedPorts or {}).keys(),
                   key=lambda p: (int(p.split("/")[0]), p))
    for i, spec in enumerate(ports):
        port, _, proto = spec.partition("/")
        proto = proto or "tcp"
        url = f"{proto}://{ip}:{port}"
        if i == 0:
            env.append(f"{prefix}_PORT={url}")
        key = f"{prefix}_PORT_{port}_{proto.upper()}"
        env += [f"{key}={url}", f"{key}_ADDR={ip}", f"{key}_PORT={port}",
                f"{key}_PROTO={proto}"]
    for entry in target.config.Env or []:
        key, sep, value = entry.partition("=")
        if sep and key not in ("HOME", "PATH"):
            env.append(f"{prefix}_ENV_{key}={value}")
    return env


class LinksPlugin(Plugin):
    name = "links"

    def __init__(self, records: Records) -> None:
        self.records = records

    def _target(self, text: str) -> tuple[Container, str]:
        name, alias = parse_link(text)
        try:
            return self.records.resolve(name), alias
        except NotFound:  # a 400 as in dockerd: a 404 would have clients pull the image
            raise InvalidArgument(f"could not get container for {name}: "
                                  f"No such container: {name}") from None

    async def created(self, c: Container) -> None:
        """As dockerd: a link to a container that does not exist fails the create."""
        for text in c.host_config.Links or []:
            self._target(text)

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        for text in c.host_config.Links or []:
            target, alias = self._target(text)
            ip = address_of(target) if target.running else ""
            if not ip:
                raise InvalidArgument(f"Cannot link to a non running container: /{target.name}"
                                      f" AS /{c.name}/{alias}")
            ctx.env = [*link_env(c.name, alias, target, ip), *ctx.env]
            ctx.extra_hosts += [f"{alias}:{ip}"] + (
                [f"{target.name}:{ip}"] if target.name != alias else [])


def remove_link(records: Records, parent: str, alias: str) -> None:
    """Drop ``parent``'s link known as ``alias`` (``DELETE /containers/parent/alias?link=1``)."""
    c = records.resolve(parent)
    links = list(c.host_config.Links or [])
    kept = [x for x in links if parse_link(x)[1] != alias]
    if len(kept) == len(links):
        raise NotFound(f"Could not find link /{c.name}/{alias}")
    c.host_config.Links = kept or None
    records.save(c)
