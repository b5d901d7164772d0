"""``POST /containers/{id}/update``: change resources and the restart policy.

``plan_update`` is pure: Docker's update body and the current HostConfig give the
new HostConfig and the OCI ``linux.resources`` to apply to a running container
(``<runtime> update``). Docker's rules: fields left at 0 are unchanged; a new
memory limit above the configured swap limit needs the swap limit too; a restart
policy cannot be set on an ``--rm`` container.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from pallet.api.models import HostConfig, RestartPolicy, UpdateConfig
from pallet.api.responses import UpdateResponse
from pallet.api.wirevalues import check_wire
from pallet.engine.containers import ContainerService
from pallet.engine.createcheck import check_resources, host_limits
from pallet.engine.restart import Policy
from pallet.errors import InvalidArgument

_FIELDS = ("CpuShares", "Memory", "NanoCpus", "CpuPeriod", "CpuQuota", "CpusetCpus",
           "CpusetMems", "MemoryReservation", "MemorySwap", "PidsLimit", "BlkioWeight",
           "CpuRealtimePeriod", "CpuRealtimeRuntime", "OomKillDisable")


def plan_update(hc: HostConfig, req: UpdateConfig) -> tuple[HostConfig, dict[str, Any]]:
    """(new HostConfig, OCI resources to apply); raises InvalidArgument."""
    new = msgspec.structs.replace(hc)
    res: dict[str, Any] = {}
    if req.NanoCpus and (req.CpuQuota or req.CpuPeriod):
        raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period/Quota cannot both "
                              "be set")
    if req.Memory:
        if req.Memory < 6 * 1024 * 1024:
            raise InvalidArgument("Minimum memory limit allowed is 6MB")
        if not req.MemorySwap and hc.MemorySwap > 0 and req.Memory > hc.MemorySwap:
            raise InvalidArgument("Memory limit should be smaller than already set memoryswap "
                                  "limit, update the memoryswap at the same time")
        new.Memory = req.Memory
    if req.MemorySwap:
        new.MemorySwap = req.MemorySwap
    if req.MemoryReservation:
        new.MemoryReservation = req.MemoryReservation
    if new.Memory and 0 < new.MemorySwap < new.Memory:
        raise InvalidArgument("Minimum memoryswap limit should be larger than memory limit, "
                              "see usage")
    if req.Memory or req.MemorySwap or req.MemoryReservation:
        mem: dict[str, Any] = {}
        if new.Memory:
            mem["limit"] = new.Memory
            mem["swap"] = new.MemorySwap if new.MemorySwap else 2 * new.Memory
        elif new.MemorySwap:
            mem["swap"] = new.MemorySwap
        if new.MemoryReservation:
            mem["reservation"] = new.MemoryReservation
        res["memory"] = mem
    cpu: dict[str, Any] = {}
    if req.CpuShares:
        new.CpuShares = req.CpuShares
        cpu["shares"] = req.CpuShares
    if req.NanoCpus:
        new.NanoCpus, new.CpuQuota, new.CpuPeriod = req.NanoCpus, 0, 0
        cpu["period"] = 100_000
        cpu["quota"] = req.NanoCpus * 100_000 // 1_000_000_000
    if req.CpuQuota or req.CpuPeriod:
        new.NanoCpus = 0
        if req.CpuQuota:
            new.CpuQuota = req.CpuQuota
            cpu["quota"] = req.CpuQuota
        if req.CpuPeriod:
            new.CpuPeriod = req.CpuPeriod
            cpu["period"] = req.CpuPeriod
    if req.CpusetCpus:
        new.CpusetCpus = cpu["cpus"] = req.CpusetCpus
    if req.CpusetMems:
        new.CpusetMems = cpu["mems"] = req.CpusetMems
    if cpu:
        res["cpu"] = cpu
    if req.PidsLimit is not None:
        new.PidsLimit = req.PidsLimit if req.PidsLimit > 0 else None
        res["pids"] = {"limit": req.PidsLimit if req.PidsLimit > 0 else -1}
    if req.BlkioWeight:
        if not 10 <= req.BlkioWeight <= 1000:
            raise InvalidArgument("Range of blkio weight is from 10 to 1000")
        new.BlkioWeight = req.BlkioWeight
        res["blockIO"] = {"weight": req.BlkioWeight}
    if req.RestartPolicy is not None:
        policy = Policy.of(req.RestartPolicy.Name, req.RestartPolicy.MaximumRetryCount)
        if policy.restarts and hc.AutoRemove:
            raise InvalidArgument("Restart policy cannot be updated because AutoRemove is "
                                  "enabled for the container")
        new.RestartPolicy = RestartPolicy(Name=policy.name,
                                          MaximumRetryCount=policy.max_retries)
    return new, res


Apply = Callable[[str, dict[str, Any]], Awaitable[None]]


class UpdateService:
    def __init__(self, containers: ContainerService, apply: Apply) -> None:
        self.containers = containers
        self.apply = apply

    async def update(self, ref: str, req: UpdateConfig) -> UpdateResponse:
        check_wire(msgspec.to_builtins(req))
        c = self.containers.resolve(ref)
        new, resources = plan_update(c.host_config, req)
        check_resources(new, host_limits())
        if resources and c.running:
            await self.apply(c.id, resources)
        fresh = self.containers.store.get(c.id)  # saved without an await in between
        if fresh is not None:
            fresh.host_config = new
            self.containers.store.save(fresh)
        self.containers.event(c, "update")
        return UpdateResponse(Warnings=[])
