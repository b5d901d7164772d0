"""``docker top``: the host's ``ps`` output, keeping the container's processes."""

from __future__ import annotations

import shlex
from pathlib import Path

from pallet.api.responses import ContainerTop
from pallet.errors import InvalidArgument
from pallet.runtime.spawn import spawn


def cgroup_pids(cgroups_path: str) -> set[int]:
    """PIDs in the container's cgroup (v1 ``pids`` or ``memory`` hierarchy, or v2)."""
    rel = cgroups_path.lstrip("/")
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu",
                 "/sys/fs/cgroup"):
        procs = Path(base, rel, "cgroup.procs")
        try:
            text = procs.read_text()
        except OSError:
            continue
        return {int(p) for p in text.split()}
    return set()


def filter_ps(output: str, pids: set[int]) -> ContainerTop:
    lines = output.splitlines()
    if not lines:
        raise InvalidArgument("ps printed nothing")
    titles = lines[0].split()
    try:
        pid_col = titles.index("PID")
    except ValueError:
        raise InvalidArgument("Couldn't find PID field in ps output") from None
    processes = []
    for line in lines[1:]:
        fields = line.split(None, len(titles) - 1)
        if len(fields) <= pid_col:
            continue
        try:
            pid = int(fields[pid_col])
        except ValueError:
            continue
        if pid in pids:
            processes.append(fields)
    return ContainerTop(Titles=titles, Processes=processes)


async def top(cgroups_path: str, ps_args: str) -> ContainerTop:
    args = shlex.split(ps_args or "-ef")
    proc = await spawn(["ps", *args])
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise InvalidArgument(f"ps: {err.decode().strip()}")
    return filter_ps(out.decode(), cgroup_pids(cgroups_path))
