"""``client.networks``: create, inspect, list, remove, connect, disconnect, prune.

Bodies are request Structs (``pallet.api.netmodels.NetworkCreate``,
``pallet.api.models.NetworkConnectRequest``) or their wire dicts; answers are
``pallet.api.responses`` Structs. ``inspect_raw`` keeps the daemon's document as
sent, for callers that print it (``pallet network inspect``).
"""

from __future__ import annotations

from pallet.api.models import EndpointSettings, NetworkConnectRequest, NetworkDisconnectRequest
from pallet.api.netmodels import NetworkCreate
from pallet.api.responses import NetworkCreateResponse, NetworksPruned
from pallet.api.view_networks import Network
from pallet.client.resource import Resource, filters_query, path
from pallet.notation.filters import Filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    import builtins
    from typing import Any


class Networks(Resource):
    """The ``/networks`` endpoints."""

    def create(self, config: NetworkCreate | dict[str, Any]) -> NetworkCreateResponse:
        """``POST /networks/create`` (a duplicate name is a Conflict)."""
        return self._typed(NetworkCreateResponse, "POST", "/networks/create", json_body=config)

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
        body = NetworkConnectRequest(Container=container,
                                     EndpointConfig=endpoint or EndpointSettings())
        self._done("POST", path("/networks/{}/connect", ref), json_body=body)

    def disconnect(self, ref: str, container: str, force: bool = False) -> None:
        body = NetworkDisconnectRequest(Container=container, Force=force)
        self._done("POST", path("/networks/{}/disconnect", ref), json_body=body)

    def prune(self, filters: Filters | None = None) -> NetworksPruned:
        return self._typed(NetworksPruned, "POST", "/networks/prune",
                           {"filters": filters_query(filters)})
