"""Wire models of the network and volume create bodies (``POST /networks/create``,
``POST /volumes/create``).

Decoding a body into these checks the JSON types Docker's Go structs check: ``Labels``
and ``Options`` are objects of strings, ``IPAM.Config`` a list of objects. A wrong type is
a 400 naming the field, never a failure later on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from pallet.api.wirevalues import check_wire
from pallet.errors import InvalidArgument


class IPAMConfig(msgspec.Struct, omit_defaults=True):
    Subnet: str = ""
    IPRange: str = ""
    Gateway: str = ""
    AuxiliaryAddresses: dict[str, str] | None = None


class IPAM(msgspec.Struct, omit_defaults=True):
    Driver: str = ""
    Config: list[IPAMConfig] | None = None
    Options: dict[str, str] | None = None


class ConfigReference(msgspec.Struct):
    """The network a network takes its configuration from (``--config-from``)."""

    Network: str = ""


class NetworkCreate(msgspec.Struct, omit_defaults=True):
    """Body of ``POST /networks/create`` (API v1.44's ``NetworkCreateRequest``)."""

    Name: str = ""
    Driver: str = ""
    Scope: str = ""
    Internal: bool = False
    Attachable: bool = False
    Ingress: bool = False
    EnableIPv6: bool | None = None
    CheckDuplicate: bool | None = None
    IPAM: IPAM | None = None
    Options: dict[str, str] | None = None
    Labels: dict[str, str] | None = None
    ConfigOnly: bool = False
    ConfigFrom: ConfigReference | None = None


class VolumeCreate(msgspec.Struct, omit_defaults=True):
    Name: str = ""
    Driver: str = ""
    DriverOpts: dict[str, str] | None = None
    Labels: dict[str, str] | None = None


T = TypeVar("T")


def wire_body(body: Mapping[str, Any], into: type[T]) -> T:
    """A body already parsed as a JSON object, checked against ``into``'s types (with Go's
    rules: keys in any case, a null a field cannot hold is its default)."""
    from pallet.api.gojson import fold

    check_wire(dict(body))
    try:
        return msgspec.convert(fold(dict(body), into), into)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(f"invalid JSON: {exc}") from None
