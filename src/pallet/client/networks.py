"""``client.networks``: create, inspect, list, remove, connect, disconnect, prune.

Bodies are request Structs (``pallet.api.netmodels.NetworkCreate``,
``pallet.api.models.NetworkConnectRequest``) or their wire dicts; answers are
``pallet.api.responses`` Structs. ``inspect_raw`` keeps the daemon's document as
sent, for callers that print it (``pallet network inspect``); ``list_raw`` and
``create_raw`` answer as sent, for callers that read a name and labels or only need the
network made (compose): the view modules and their decoding are what a typed answer
costs, so each method imports the Structs it decodes, when it runs.
"""

from __future__ import annotations

from pallet.client.resource import Resource, filters_query, path

TYPE_CHECKING = False
if TYPE_CHECKING:
    import builtins
    from typing import Any

    from pallet.api.models import EndpointSettings
    from pallet.api.netmodels import NetworkCreate
    from pallet.api.responses import NetworkCreateResponse, NetworksPruned
    from pallet.api.view_networks import Network
    from pallet.notation.filters import Filters


class Networks(Resource):
    """The ``/networks`` endpoints."""

    def create(self, config: NetworkCreate | dict[str, Any]) -> NetworkCreateResponse:
        """``POST /networks/create`` (a duplicate name is a Conflict)."""
        from pallet.api.responses import NetworkCreateResponse

        return self._typed(NetworkCreateResponse, "POST", "/networks/create", json_body=config)

    def create_raw(self, config: dict[str, Any]) -> dict[str, Any]:
        """:meth:`create`, its answer as sent (``Id``, ``Warning``)."""
        doc: dict[str, Any] = self._json("POST", "/networks/create", json_body=config)
        return doc

    def inspect(self, ref: str) -> Network:
        from pallet.api.view_networks import Network

        return self._typed(Network, "GET", path("/networks/{}", ref))

    def inspect_raw(self, ref: str) -> dict[str, Any]:
        """The daemon's document as sent (for printing)."""
        doc: dict[str, Any] = self._json("GET", path("/networks/{}", ref))
        return doc

    def list(self, filters: Filters | None = None) -> builtins.list[Network]:
        from pallet.api.view_networks import Network

        return self._typed(list[Network], "GET", "/networks", {"filters": filters_query(filters)})

    def list_raw(self, filters: Filters | None = None) -> builtins.list[dict[str, Any]]:
        """:meth:`list`, the daemon's documents as sent."""
        found: builtins.list[dict[str, Any]] = self._json(
            "GET", "/networks", {"filters": filters_query(filters)}) or []
        return found

    def remove(self, ref: str) -> None:
        self._done("DELETE", path("/networks/{}", ref))

    def connect(self, ref: str, container: str,
                endpoint: EndpointSettings | None = None) -> None:
        """Attach ``container`` (aliases, static addresses... in ``endpoint``)."""
        from pallet.api.models import EndpointSettings, NetworkConnectRequest

        body = NetworkConnectRequest(Container=container,
                                     EndpointConfig=endpoint or EndpointSettings())
        self._done("POST", path("/networks/{}/connect", ref), json_body=body)

    def disconnect(self, ref: str, container: str, force: bool = False) -> None:
        from pallet.api.models import NetworkDisconnectRequest

        body = NetworkDisconnectRequest(Container=container, Force=force)
        self._done("POST", path("/networks/{}/disconnect", ref), json_body=body)

    def prune(self, filters: Filters | None = None) -> NetworksPruned:
        from pallet.api.responses import NetworksPruned

        return self._typed(NetworksPruned, "POST", "/networks/prune",
                           {"filters": filters_query(filters)})
