"""``Client``: one Engine API host, its resources as attributes.

Each resource module is imported the first time its attribute is read, so a
command pays only for what it uses (``pallet ps`` never loads the build or registry
modules, nor msgspec).
"""

from __future__ import annotations

from functools import cached_property

TYPE_CHECKING = False
if TYPE_CHECKING:
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

    @cached_property
    def system(self) -> System:
        from pallet.client.system import System

        return System(self.t)

    @cached_property
    def containers(self) -> Containers:
        from pallet.client.containers import Containers

        return Containers(self.t)

    @cached_property
    def exec(self) -> Exec:
        from pallet.client.execs import Exec

        return Exec(self.t)

    @cached_property
    def archive(self) -> Archive:
        from pallet.client.archive import Archive

        return Archive(self.t)

    @cached_property
    def images(self) -> Images:
        from pallet.client.images import Images

        return Images(self.t)

    @cached_property
    def registry(self) -> Registry:
        from pallet.client.registry import Registry

        return Registry(self.t)

    @cached_property
    def build(self) -> Build:
        from pallet.client.build import Build

        return Build(self.t)

    @cached_property
    def networks(self) -> Networks:
        from pallet.client.networks import Networks

        return Networks(self.t)

    @cached_property
    def volumes(self) -> Volumes:
        from pallet.client.volumes import Volumes

        return Volumes(self.t)

    @cached_property
    def pallet(self) -> PalletExtensions:
        from pallet.client.pallet_ext import PalletExtensions

        return PalletExtensions(self.t)
