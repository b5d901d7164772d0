"""The ``linux.resources`` part of the runtime spec: cgroup limits and device rules.

Memory, CPU, pids and block-IO limits with Docker's validation, and the device cgroup
allow-list (Docker's defaults, then the container's devices and extra rules).
"""

from __future__ import annotations

from typing import Any

from pallet.errors import InvalidArgument
from pallet.runtime.specinput import SpecInput

# (type, major, minor or None for "*"): Docker's allowed device cgroup rules.
_DEFAULT_DEVICE_RULES: tuple[tuple[str, int | None, int | None], ...] = (
    ("c", None, None),  # mknod of any char device (access "m")
    ("b", None, None),  # mknod of any block device (access "m")
    ("c", 1, 3),  # /dev/null
    ("c", 1, 5),  # /dev/zero
    ("c", 1, 7),  # /dev/full
    ("c", 1, 8),  # /dev/random
    ("c", 1, 9),  # /dev/urandom
    ("c", 5, 0),  # /dev/tty
    ("c", 5, 1),  # /dev/console
    ("c", 5, 2),  # /dev/ptmx
    ("c", 136, None),  # /dev/pts/*
)


def linux_resources(inp: SpecInput) -> dict[str, Any]:
    """The OCI ``linux.resources`` object for ``inp``; raises InvalidArgument."""
    res: dict[str, Any] = {"devices": _device_rules(inp)}
    mem: dict[str, Any] = {}
    if inp.memory > 0:
        mem["limit"] = inp.memory
        swap = inp.memory_swap if inp.memory_swap != 0 else 2 * inp.memory
        if swap > 0 and swap < inp.memory:
            raise InvalidArgument(
                "Minimum memoryswap limit should be larger than memory limit, "
                "see usage")
        mem["swap"] = swap
    elif inp.memory_swap > 0:
        raise InvalidArgument(
            "You should always set the Memory limit when using Memoryswap limit, see usage")
    if inp.memory_reservation > 0:
        mem["reservation"] = inp.memory_reservation
    if inp.oom_kill_disable:
        mem["disableOOMKiller"] = True
    if mem:
        res["memory"] = mem
    cpu: dict[str, Any] = {}
    if inp.cpu_shares > 0:
        cpu["shares"] = inp.cpu_shares
    if inp.cpu_quota > 0:
        cpu["quota"] = inp.cpu_quota
    if inp.cpu_period > 0:
        cpu["period"] = inp.cpu_period
    if inp.cpuset_cpus:
        cpu["cpus"] = inp.cpuset_cpus
    if inp.cpuset_mems:
        cpu["mems"] = inp.cpuset_mems
    if cpu:
        res["cpu"] = cpu
    if inp.pids_limit is not None and inp.pids_limit > 0:
        res["pids"] = {"limit": inp.pids_limit}
    if inp.block_io:
        res["blockIO"] = dict(inp.block_io)
    return res


def _device_rules(inp: SpecInput) -> list[dict[str, Any]]:
    if inp.privileged:
        return [{"allow": True, "access": "rwm"}]
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    for kind, major, minor in _DEFAULT_DEVICE_RULES:
        rule: dict[str, Any] = {"allow": True, "type": kind}
        if major is not None:
            rule["major"] = major
        if minor is not None:
            rule["minor"] = minor
        rule["access"] = "m" if major is None else "rwm"
        rules.append(rule)
    for d in inp.devices:
        rule = {"allow": True, "type": d.get("type", "c"), "access": d.get("access", "rwm")}
        for key in ("major", "minor"):
            if key in d:
                rule[key] = d[key]
        rules.append(rule)
    rules.extend(dict(r) for r in inp.device_cgroup_rules)
    return rules
