"""Operations: ``stats`` (live resource usage) and ``update`` (resources, restart policy)."""

from __future__ import annotations

import sys
import threading
import time

from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option
from pallet.cli.format.table import Row, render_rows
from pallet.cli.session import api
from pallet.cli.util import echo, for_each, parsed
from pallet.client import Client
from pallet.notation.resources import parse_cpus, parse_restart
from pallet.notation.sizes import binary_size, human_size, parse_memory

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pallet.api.view_stats import ContainerStats

STATS_TABLE = ("table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
               "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}")
STATS_HEADERS = {
    "ID": "CONTAINER ID", "Container": "CONTAINER", "Name": "NAME", "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O",
    "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}


def stats_values(doc: ContainerStats) -> dict[str, float]:
    """The numbers ``docker stats`` derives from one stats document."""
    cpu, pre = doc.cpu_stats, doc.precpu_stats
    delta = cpu.cpu_usage.total_usage - pre.cpu_usage.total_usage
    system = (cpu.system_cpu_usage or 0) - (pre.system_cpu_usage or 0)
    online = cpu.online_cpus or len(cpu.cpu_usage.percpu_usage or []) or 1
    cpu_pct = delta / system * online * 100.0 if delta > 0 and system > 0 else 0.0
    mem = doc.memory_stats
    stats = mem.stats or {}
    usage, limit = mem.usage or 0, mem.limit or 0
    for key in ("total_inactive_file", "inactive_file"):  # v1, then v2
        if key in stats and stats[key] < usage:
            usage -= stats[key]
            break
    nets = (doc.networks or {}).values()
    blk_r = blk_w = 0
    for e in doc.blkio_stats.io_service_bytes_recursive or []:
        op = e.op.lower()
        if op == "read":
            blk_r += e.value
        elif op == "write":
            blk_w += e.value
    return {"cpu": cpu_pct, "mem": usage, "limit": limit,
            "mem_pct": usage / limit * 100.0 if limit else 0.0,
            "rx": sum(n.rx_bytes for n in nets), "tx": sum(n.tx_bytes for n in nets),
            "blk_r": blk_r, "blk_w": blk_w, "pids": doc.pids_stats.current or 0}


def stats_row(ref: str, doc: ContainerStats | None) -> Row:
    if doc is None or not doc.read or doc.read.startswith("0001-"):
        cid = doc.id if doc is not None and doc.id else ref
        name = (doc.name if doc is not None else "").lstrip("/") or "--"
        return Row({"ID": cid[:12], "Container": ref, "Name": name, "CPUPerc": "0.00%",
                    "MemUsage": "0B / 0B", "MemPerc": "0.00%", "NetIO": "0B / 0B",
                    "BlockIO": "0B / 0B", "PIDs": "0"})
    v = stats_values(doc)
    return Row({
        "ID": doc.id[:12], "Container": ref, "Name": doc.name.lstrip("/"),
        "CPUPerc": f"{v['cpu']:.2f}%",
        "MemUsage": f"{binary_size(v['mem'])} / {binary_size(v['limit'])}",
        "MemPerc": f"{v['mem_pct']:.2f}%",
        "NetIO": f"{human_size(v['rx'])} / {human_size(v['tx'])}",
        "BlockIO": f"{human_size(v['blk_r'])} / {human_size(v['blk_w'])}",
        "PIDs": str(int(v["pids"])),
    })


class _Follower(threading.Thread):
    """Reads one container's stats stream, keeping the latest document."""

    def __init__(self, client: Client, ref: str) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.ref = ref
        self.latest: ContainerStats | None = None
        self.error: str = ""

    def run(self) -> None:
        try:
            for sample in self.client.containers.stats(self.ref, stream=True):
                self.latest = sample
        except Exception as e:  # shown in the table as zeros; the loop keeps going
            self.error = str(e)


@command()
@option("-a", "--all", "all_", is_flag=True, help="Show all containers")
@option("--format", "fmt", default="", help="Format output using a Go template")
@option("--no-stream", is_flag=True, help="Disable streaming stats and only pull the "
              "first result")
@option("--no-trunc", is_flag=True, help="Do not truncate output")
@argument("containers", nargs=-1)
def stats(all_: bool, fmt: str, no_stream: bool, no_trunc: bool,
          containers: tuple[str, ...]) -> None:
    """Display a live stream of container(s) resource usage statistics."""
    client = api()  # made here, before the threads below use it
    refs = list(containers) or [c["Id"] for c in client.containers.list(all=all_)]
    fmt = fmt or STATS_TABLE
    if fmt == "table":
        fmt = STATS_TABLE
    if no_stream:
        results: dict[str, ContainerStats | None] = {}
        errors: dict[str, str] = {}

        def fetch(ref: str) -> None:
            try:
                results[ref] = client.containers.stats_once(ref)
            except Exception as e:
                errors[ref] = str(e)

        threads = [threading.Thread(target=fetch, args=(r,)) for r in refs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise StatusError(1, "Error response from daemon: " + next(iter(errors.values())))
        rows = [stats_row(r, results.get(r)) for r in refs]
        echo(render_rows(fmt, rows, STATS_HEADERS), nl=False)
        return
    followers = [_Follower(client, r) for r in refs]
    for f in followers:
        f.start()
    try:
        while True:
            time.sleep(1.0)
            rows = [stats_row(f.ref, f.latest) for f in followers]
            out = render_rows(fmt, rows, STATS_HEADERS)
            if sys.stdout.isatty():
                out = "\033[2J\033[H" + out
            echo(out, nl=False)
            if followers and all(not f.is_alive() for f in followers):
                return
    except KeyboardInterrupt:
        return


@command()
@option("--blkio-weight", type=int, default=0, help="Block IO weight (10-1000)")
@option("--cpu-period", type=int, default=0, help="Limit CPU CFS period")
@option("--cpu-quota", type=int, default=0, help="Limit CPU CFS quota")
@option("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)")
@option("--cpus", default="", help="Number of CPUs")
@option("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)")
@option("--cpuset-mems", default="", help="MEMs in which to allow execution (0-3, 0,1)")
@option("-m", "--memory", default="", help="Memory limit")
@option("--memory-reservation", default="", help="Memory soft limit")
@option("--memory-swap", default="", help="Swap limit equal to memory plus swap: -1 "
              "to enable unlimited swap")
@option("--pids-limit", type=int, default=None, help="Tune container pids limit "
              "(set -1 for unlimited)")
@option("--restart", default="", help="Restart policy to apply when a container exits")
@argument("containers", nargs=-1, required=True)
def update(blkio_weight: int, cpu_period: int, cpu_quota: int, cpu_shares: int, cpus: str,
           cpuset_cpus: str, cpuset_mems: str, memory: str, memory_reservation: str,
           memory_swap: str, pids_limit: int | None, restart: str,
           containers: tuple[str, ...]) -> None:
    """Update configuration of one or more containers."""
    body: dict[str, Any] = {}
    if blkio_weight:
        body["BlkioWeight"] = blkio_weight
    if cpu_period:
        body["CpuPeriod"] = cpu_period
    if cpu_quota:
        body["CpuQuota"] = cpu_quota
    if cpu_shares:
        body["CpuShares"] = cpu_shares
    if cpus:
        body["NanoCpus"] = parsed(cpus, parse_cpus, "--cpus")
    if cpuset_cpus:
        body["CpusetCpus"] = cpuset_cpus
    if cpuset_mems:
        body["CpusetMems"] = cpuset_mems
    for key, value, flag in (("Memory", memory, "--memory"),
                             ("MemoryReservation", memory_reservation, "--memory-reservation"),
                             ("MemorySwap", memory_swap, "--memory-swap")):
        if value:
            body[key] = parsed(value, parse_memory, flag)
    if pids_limit is not None:
        body["PidsLimit"] = pids_limit
    if restart:
        body["RestartPolicy"] = parsed(restart, parse_restart, "--restart")
    if not body:
        raise StatusError(1, "you must provide one or more flags when using this command")
    for_each(containers,
             lambda ref: api().containers.update(ref, body))
