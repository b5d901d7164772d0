"""``Client``: one Engine API host, its resources as attributes.

Each resource module is imported the first time its attribute is read, so a
command pays only for what it uses (``pallet ps`` never loads the build or registry
modules, nor msgspec). ``resource`` is ``functools.cached_property`` for mypy and a
four-line equivalent at run time (``functools`` costs the ``exec`` path ~3 ms).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from functools import cached_property as resource

    from pallet.client.archive import Archive
    from pallet.client.build import Build
    from pallet.client.containers import Containers
    from pallet.client.execs import Exec
    from pallet.client.http import Transport
    from pallet.client.images import Images
    from pallet.client.networks import Networks
    from pallet.client.pallet_ext import PalletExtensions
    from pallet.client.registry import Registry
    from pallet.client.system import System
    from pallet.client.volumes import Volumes
else:

    class resource:
        """Computes the attribute on first read and stores it on the instance."""

        def __init__(self, load):
            self.load = load
            self.name = load.__name__

        def __get__(self, obj, owner=None):
            if obj is None:
                return self
            value = obj.__dict__[self.name] = self.load(obj)
            return value


class Client:
    """The Docker Engine API (v1.44) and pallet's extensions over one transport."""

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    @classmethod
    def from_host(cls, host: str | None = None) -> Client:
        """A client of ``host`` (``unix:///path``, ``tcp://h:p``; default: pallet's socket)."""
        from pallet.client.http import Transport

        return cls(Transport(host))

    @classmethod
    def from_env(cls) -> Client:
        """A client of ``PALLET_HOST``, else ``DOCKER_HOST``, else pallet's socket (the
        CLI's choice without ``-H``; no daemon auto-start)."""
        from pallet.client.http import resolve_host

        return cls.from_host(resolve_host(None)[0])

    @resource
    def system(self) -> System:
        from pallet.client.system import System

        return System(self.t)

    @resource
    def containers(self) -> Containers:
        from pallet.client.containers import Containers

        return Containers(self.t)

    @resource
    def exec(self) -> Exec:
        from pallet.client.execs import Exec

        return Exec(self.t)

    @resource
    def archive(self) -> Archive:
        from pallet.client.archive import Archive

        return Archive(self.t)

    @resource
    def images(self) -> Images:
        from pallet.client.images import Images

        return Images(self.t)

    @resource
    def registry(self) -> Registry:
        from pallet.client.registry import Registry

        return Registry(self.t)

    @resource
    def build(self) -> Build:
        from pallet.client.build import Build

        return Build(self.t)

    @resource
    def networks(self) -> Networks:
        from pallet.client.networks import Networks

        return Networks(self.t)

    @resource
    def volumes(self) -> Volumes:
        from pallet.client.volumes import Volumes

        return Volumes(self.t)

    @resource
    def pallet(self) -> PalletExtensions:
        from pallet.client.pallet_ext import PalletExtensions

        return PalletExtensions(self.t)
