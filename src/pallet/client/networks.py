"""``client.networks``: create, inspect, list, remove, connect, disconnect, prune.

Answers are ``pallet.api.responses`` Structs; ``inspect_raw`` keeps the daemon's
document as sent, for callers that print it (``pallet network inspect``).
"""

from __future__ import annotations

import msgspec

from pallet.api.models import EndpointSettings
from pallet.api.responses import IPAMConfig, Network, NetworkCreateResponse, NetworksPruned
from pallet.client.resource import Resource, filters_query, path
from pallet.notation.filters import Filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    import builtins
    from typing import Any


class Networks(Resource):
    """The ``/networks`` endpoints."""

    def create(
        self,
        name: str,
        driver: str = "bridge",
        *,
        ipam: list[IPAMConfig] | None = None,
        ipam_driver: str = "default",
        internal: bool = False,
        attachable: bool = False,
        enable_ipv6: bool = False,
        labels: dict[str, str] | None = None,
        options: dict[str, str] | None = None,
    ) -> NetworkCreateResponse:
        """``POST /networks/create`` (a duplicate name is a Conflict)."""
        body: dict[str, Any] = {
            "Name": name, "Driver": driver, "Internal": internal, "Attachable": attachable,
            "EnableIPv6": enable_ipv6, "Labels": labels or {}, "Options": options or {},
            "IPAM": {"Driver": ipam_driver, "Config": msgspec.to_builtins(ipam or [])},
            "CheckDuplicate": True,
        }
        return self._typed(NetworkCreateResponse, "POST", "/networks/create", json_body=body)

    def inspect(self, ref: str) -> Network:
        return self._typed(Network, "GET", path("/networks/{}", ref))

    def inspect_raw(self, ref: str) -> dict[str, Any]:
        """The daemon's document as sent (for printing)."""
        doc: dict[str, Any] = self._json("GET", path("/networks/{}", ref))
        return doc

    def list(self, filters: Filters | None = None) -> builtins.list[Network]:
        return self._typed(list[Network], "GET", "/networks", {"filters": filters_query(filters)})

    def remove(self, ref: str) -> None:
        self._done("DELETE", path("/networks/{}", ref))

    def connect(self, ref: str, container: str,
                endpoint: EndpointSettings | None = None) -> None:
        """Attach ``container`` (aliases, static addresses... in ``endpoint``)."""
        body = {"Container": container,
                "EndpointConfig": msgspec.to_builtins(endpoint or EndpointSettings())}
        self._done("POST", path("/networks/{}/connect", ref), json_body=body)

    def disconnect(self, ref: str, container: str, force: bool = False) -> None:
        body = {"Container": container, "Force": force}
        self._done("POST", path("/networks/{}/disconnect", ref), json_body=body)

    def prune(self, filters: Filters | None = None) -> NetworksPruned:
        return self._typed(NetworksPruned, "POST", "/networks/prune",
                           {"filters": filters_query(filters)})
