"""Containers as the Engine API shows them (``/containers/json`` and ``/json``).

Pure functions of a record (plus the clock), so list and inspect output can be
table-tested. Filters follow dockerd's ``ps`` filter rules.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from pallet.api.models import HostConfig
from pallet.engine.exitreason import exit_reason
from pallet.engine.lifecycle import State
from pallet.engine.links import shown_links
from pallet.engine.records import Container
from pallet.errors import InvalidArgument
from pallet.notation.human import container_status
from pallet.runtime.spec import MASKED_PATHS, READONLY_PATHS


def parse_time(value: str) -> float:
    if not value or value.startswith("0001-"):
        return 0.0
    text = value.replace("Z", "+00:00")
    # Python wants at most 6 fractional digits.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    return datetime.fromisoformat(text).timestamp()


def status_text(c: Container, now: float) -> str:
    """The ``Status`` column of ``ps`` (health is added by its plugin)."""
    return container_status(c.status.value, now=now, started=parse_time(c.started_at),
                            finished=parse_time(c.finished_at), exit_code=c.exit_code)


def command_text(c: Container) -> str:
    """The list's ``Command`` as dockerd writes it: the path, then each argument, one
    holding a space wrapped in single quotes as it is (nothing inside is escaped)."""
    return " ".join([c.path, *(f"'{a}'" if " " in a else a for a in c.args)])


def _network_mode(mode: str) -> str:
    """Docker's CLI sends "default"; the daemon shows it as "bridge"."""
    return "bridge" if mode in ("", "default") else mode


def _host_config(hc: HostConfig) -> dict[str, Any]:
    """Docker's HostConfig with its defaults filled in where the request left them out."""
    out: dict[str, Any] = {
        "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "json-file", "Config": {}},
        "NetworkMode": "bridge", "PortBindings": {}, "RestartPolicy": {
            "Name": "no", "MaximumRetryCount": 0}, "AutoRemove": False, "VolumeDriver": "",
        "VolumesFrom": None, "ConsoleSize": [0, 0], "CapAdd": None, "CapDrop": None,
        "CgroupnsMode": "private", "Dns": [], "DnsOptions": [], "DnsSearch": [],
        "ExtraHosts": None, "GroupAdd": None, "IpcMode": "private", "Cgroup": "", "Links": None,
        "OomScoreAdj": 0, "PidMode": "", "Privileged": False, "PublishAllPorts": False,
        "ReadonlyRootfs": False, "SecurityOpt": None, "UTSMode": "", "UsernsMode": "",
        "ShmSize": 67108864, "Runtime": "crun", "Isolation": "", "CpuShares": 0, "Memory": 0,
        "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0, "CpuPeriod": 0, "CpuQuota": 0,
        "CpusetCpus": "", "CpusetMems": "", "Devices": [], "MemoryReservation": 0,
        "MemorySwap": 0, "MemorySwappiness": None, "OomKillDisable": None, "PidsLimit": None,
        "Ulimits": None, "Init": None, "Mounts": None, "Tmpfs": None, "MaskedPaths": None,
        "ReadonlyPaths": None,
    }
    out.update(msgspec.to_builtins(hc))
    out["NetworkMode"] = _network_mode(out.get("NetworkMode", ""))
    restart = {"MaximumRetryCount": 0, **out["RestartPolicy"]}  # zero fields are omitted
    restart["Name"] = restart.get("Name") or "no"
    out["RestartPolicy"] = restart
    if not out.get("Privileged"):  # dockerd fills in its defaults at create
        if out.get("MaskedPaths") is None:
            out["MaskedPaths"] = list(MASKED_PATHS)
        if out.get("ReadonlyPaths") is None:
            out["ReadonlyPaths"] = list(READONLY_PATHS)
    if out.get("LogConfig", {}).get("Type") == "":
        out["LogConfig"] = {"Type": "json-file", "Config": out["LogConfig"].get("Config") or {}}
    return out


def inspect(c: Container, bundle: Path, rootfs_data: dict[str, str], exec_ids: list[str],
            health: dict[str, Any] | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Status": c.status.value,
        "Running": c.status in (State.RUNNING, State.PAUSED),
        "Paused": c.status == State.PAUSED,
        "Restarting": c.status == State.RESTARTING,
        "OOMKilled": c.oom_killed,
        "Dead": c.status == State.DEAD,
        "Pid": c.pid,
        "ExitCode": c.exit_code,
        "Error": c.error,
        "StartedAt": c.started_at,
        "FinishedAt": c.finished_at,
    }
    if c.status in (State.EXITED, State.DEAD):
        state["ExitReason"] = exit_reason(c.exit_code, c.oom_killed)  # pallet's, not Docker's
    if health is not None:
        state["Health"] = health
    config = msgspec.to_builtins(c.config)
    for key in ("Env", "Cmd", "Entrypoint", "Labels", "Volumes", "OnBuild"):
        config.setdefault(key, None)
    config.setdefault("AttachStdin", False)
    config.setdefault("AttachStdout", False)
    config.setdefault("AttachStderr", False)
    config.setdefault("Tty", False)
    config.setdefault("OpenStdin", False)
    config.setdefault("StdinOnce", False)
    config.setdefault("WorkingDir", "")
    config.setdefault("User", "")
    config.setdefault("Domainname", "")
    return {
        "Id": c.id,
        "Created": c.created,
        "Path": c.path,
        "Args": c.args,
        "State": state,
        "Image": c.image_id,
        "ResolvConfPath": str(bundle / "resolv.conf"),
        "HostnamePath": str(bundle / "hostname"),
        "HostsPath": str(bundle / "hosts"),
        "LogPath": str(bundle / "ctr.log"),
        "Name": "/" + c.name,
        "RestartCount": c.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": exec_ids or None,
        "HostConfig": {**_host_config(c.host_config), "Links": shown_links(c)},
        "GraphDriver": {"Name": "overlay2", "Data": rootfs_data},
        "Mounts": [],
        "Config": config,
        "NetworkSettings": {
            "Bridge": "", "SandboxID": "", "SandboxKey": "", "HairpinMode": False,
            "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0, "Ports": {},
            "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None,
            "EndpointID": "", "Gateway": "", "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
            "MacAddress": "", "Networks": {},
        },
    }


def summary(c: Container, image_ref: str, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    return {
        "Id": c.id,
        "Names": ["/" + c.name],
        "Image": image_ref,
        "ImageID": c.image_id,
        "Command": command_text(c),
        "Created": int(c.created_unix),
        "Ports": [],
        "Labels": c.config.Labels or {},
        "State": c.status.value,
        "Status": status_text(c, now),
        "HostConfig": {"NetworkMode": _network_mode(c.host_config.NetworkMode)},
        "NetworkSettings": {"Networks": {}},
        "Mounts": [],
    }


_FILTER_KEYS = {"id", "name", "label", "status", "exited", "ancestor", "before", "since",
                "health", "network", "volume", "publish", "expose", "is-task", "isolation"}
_STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}


def check_filters(filters: dict[str, list[str]]) -> None:
    for key, values in filters.items():
        if key not in _FILTER_KEYS:
            raise InvalidArgument(f"invalid filter '{key}'")
        if key == "status":
            for v in values:
                if v not in _STATUSES:
                    raise InvalidArgument(f"invalid filter 'status={v}'")


def matches(c: Container, filters: dict[str, list[str]], image_names: list[str]) -> bool:
    """Docker's ``ps --filter`` (values of one key are ORed, keys ANDed)."""
    for key, values in filters.items():
        if key == "id":
            ok = any(c.id.startswith(v) for v in values)
        elif key == "name":
            ok = any(re.search(v, c.name) for v in values)
        elif key == "label":
            labels = c.config.Labels or {}
            ok = all(
                (k in labels and (not sep or labels[k] == v))
                for k, sep, v in (f.partition("=") for f in values)
            )
        elif key == "status":
            ok = c.status.value in values
        elif key == "exited":
            ok = c.status == State.EXITED and str(c.exit_code) in values
        elif key == "ancestor":
            ok = any(v in image_names or c.image_id.startswith(v) or
                     c.image_id.removeprefix("sha256:").startswith(v) or c.config.Image == v
                     for v in values)
        elif key == "health":
            ok = (c.extras.health.status if c.extras.health else "none") in values
        else:
            ok = True  # before/since handled by the caller; networks etc. by plugins
        if not ok:
            return False
    return True
