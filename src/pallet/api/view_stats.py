"""``GET /containers/{id}/stats`` as msgspec Structs (snake_case, as dockerd writes it).

Fields are in dockerd's order (its ``StatsJSON``); the ones Go writes with ``omitempty``
are ``UNSET`` until set, so a container that is not running gets dockerd's zero document
(``read`` at Go's zero time, empty ``memory_stats`` and ``pids_stats``, no system CPU).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class CPUUsage(msgspec.Struct):
    total_usage: int = 0
    percpu_usage: list[int] | UnsetType = UNSET
    usage_in_kernelmode: int = 0
    usage_in_usermode: int = 0


class ThrottlingData(msgspec.Struct):
    periods: int = 0
    throttled_periods: int = 0
    throttled_time: int = 0


class CPUStats(msgspec.Struct):
    cpu_usage: CPUUsage = msgspec.field(default_factory=CPUUsage)
    system_cpu_usage: int | UnsetType = UNSET
    online_cpus: int | UnsetType = UNSET
    throttling_data: ThrottlingData = msgspec.field(default_factory=ThrottlingData)


class MemoryStats(msgspec.Struct):
    usage: int | UnsetType = UNSET
    max_usage: int | UnsetType = UNSET
    stats: dict[str, int] | UnsetType = UNSET
    failcnt: int | UnsetType = UNSET
    limit: int | UnsetType = UNSET


class BlkioEntry(msgspec.Struct):
    major: int = 0
    minor: int = 0
    op: str = ""
    value: int = 0


class BlkioStats(msgspec.Struct):
    io_service_bytes_recursive: list[BlkioEntry] | None = None
    io_serviced_recursive: list[BlkioEntry] | None = None
    io_queue_recursive: list[BlkioEntry] | None = None
    io_service_time_recursive: list[BlkioEntry] | None = None
    io_wait_time_recursive: list[BlkioEntry] | None = None
    io_merged_recursive: list[BlkioEntry] | None = None
    io_time_recursive: list[BlkioEntry] | None = None
    sectors_recursive: list[BlkioEntry] | None = None


class PidsStats(msgspec.Struct):
    current: int | UnsetType = UNSET
    limit: int | UnsetType = UNSET


class StorageStats(msgspec.Struct):
    """Windows only in dockerd: always ``{}`` here."""


class InterfaceStats(msgspec.Struct):
    rx_bytes: int = 0
    rx_packets: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0
    tx_bytes: int = 0
    tx_packets: int = 0
    tx_errors: int = 0
    tx_dropped: int = 0


class ContainerStats(msgspec.Struct):
    """One document of the stats stream."""

    read: str = ""
    preread: str = ""
    pids_stats: PidsStats = msgspec.field(default_factory=PidsStats)
    blkio_stats: BlkioStats = msgspec.field(default_factory=BlkioStats)
    num_procs: int = 0
    storage_stats: StorageStats = msgspec.field(default_factory=StorageStats)
    cpu_stats: CPUStats = msgspec.field(default_factory=CPUStats)
    precpu_stats: CPUStats = msgspec.field(default_factory=CPUStats)
    memory_stats: MemoryStats = msgspec.field(default_factory=MemoryStats)
    name: str = ""
    id: str = ""
    networks: dict[str, InterfaceStats] | UnsetType = UNSET
