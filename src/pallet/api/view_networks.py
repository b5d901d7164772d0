"""Network views of the Engine API as msgspec Structs: ``GET /networks/{id}`` and each
item of ``GET /networks`` (:class:`Network`).

Fields are in dockerd's order (its ``NetworkResource``); an IPAM pool leaves out what
it does not set (Go's ``omitempty``, :class:`pallet.api.netmodels.IPAMConfig`), the
rest of the document is always there. ``pallet.client`` decodes into the same Structs.
"""

from __future__ import annotations

import msgspec

from pallet.api.netmodels import ConfigReference, IPAMConfig


class NetworkIPAM(msgspec.Struct):
    Driver: str = "default"
    Options: dict[str, str] | None = None
    Config: list[IPAMConfig] | None = None


class NetworkContainer(msgspec.Struct):
    """One container's endpoint on the network (``Containers`` of the inspect)."""

    Name: str = ""
    EndpointID: str = ""
    MacAddress: str = ""
    IPv4Address: str = ""
    IPv6Address: str = ""


class Network(msgspec.Struct):
    """One network; ``Containers`` is filled by the inspect, empty in the list."""

    Name: str = ""
    Id: str = ""
    Created: str = ""
    Scope: str = "local"
    Driver: str = ""
    EnableIPv6: bool = False
    IPAM: NetworkIPAM = msgspec.field(default_factory=NetworkIPAM)
    Internal: bool = False
    Attachable: bool = False
    Ingress: bool = False
    ConfigFrom: ConfigReference = msgspec.field(default_factory=ConfigReference)
    ConfigOnly: bool = False
    # never null from pallet; a null from another daemon decodes
    Containers: dict[str, NetworkContainer] | None = msgspec.field(default_factory=dict)
    Options: dict[str, str] | None = msgspec.field(default_factory=dict)
    Labels: dict[str, str] | None = msgspec.field(default_factory=dict)
