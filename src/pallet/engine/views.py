"""Containers as the Engine API shows them (``/containers/json`` and ``/json``).

Pure functions of a record (plus the clock), so list and inspect output can be
table-tested. Filters follow dockerd's ``ps`` filter rules.
"""

from __future__ import annotations

import functools
import re
import time
from datetime import datetime
from pathlib import Path

import msgspec

from pallet.api.view_config import ConfigView
from pallet.api.view_containers import (
    ContainerInspect,
    ContainerState,
    ContainerSummary,
    SummaryHostConfig,
)
from pallet.api.view_hostconfig import HostConfigView
from pallet.api.view_images import GraphDriver
from pallet.engine.exitreason import exit_reason
from pallet.engine.lifecycle import State
from pallet.engine.links import shown_links
from pallet.engine.records import Container
from pallet.errors import InvalidArgument
from pallet.network.portmap import split_port
from pallet.notation.filters import labels_match
from pallet.notation.human import container_status
from pallet.runtime.spec import MASKED_PATHS, READONLY_PATHS


@functools.lru_cache(maxsize=8192)
def parse_time(value: str) -> float:
    """RFC 3339 -> seconds since the epoch (0 for Go's zero time); cached, as every list
    converts the same start and finish times again."""
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


def _host_config(c: Container) -> HostConfigView:
    """Docker's HostConfig with its defaults filled in where the request left them out."""
    hc = msgspec.convert(msgspec.to_builtins(c.host_config), HostConfigView)
    hc.NetworkMode = _network_mode(hc.NetworkMode)
    hc.RestartPolicy.Name = hc.RestartPolicy.Name or "no"
    if not hc.Privileged:  # dockerd fills in its defaults at create
        if hc.MaskedPaths is None:
            hc.MaskedPaths = list(MASKED_PATHS)
        if hc.ReadonlyPaths is None:
            hc.ReadonlyPaths = list(READONLY_PATHS)
    hc.LogConfig.Type = hc.LogConfig.Type or "json-file"
    if hc.LogConfig.Config is None:
        hc.LogConfig.Config = {}
    hc.Links = shown_links(c)
    return hc


def _state(c: Container) -> ContainerState:
    state = ContainerState(
        Status=c.status.value, Running=c.status in (State.RUNNING, State.PAUSED),
        Paused=c.status == State.PAUSED, Restarting=c.status == State.RESTARTING,
        OOMKilled=c.oom_killed, Dead=c.status == State.DEAD, Pid=c.pid,
        ExitCode=c.exit_code, Error=c.error, StartedAt=c.started_at,
        FinishedAt=c.finished_at)
    if c.status in (State.EXITED, State.DEAD):
        state.ExitReason = exit_reason(c.exit_code, c.oom_killed)  # pallet's, not Docker's
    return state


def inspect(c: Container, bundle: Path, rootfs_data: dict[str, str],
            exec_ids: list[str]) -> ContainerInspect:
    """``GET /containers/{id}/json`` before the plugins add their parts."""
    return ContainerInspect(
        Id=c.id, Created=c.created, Path=c.path, Args=list(c.args), State=_state(c),
        Image=c.image_id, ResolvConfPath=str(bundle / "resolv.conf"),
        HostnamePath=str(bundle / "hostname"), HostsPath=str(bundle / "hosts"),
        LogPath=str(bundle / "ctr.log"), Name="/" + c.name, RestartCount=c.restart_count,
        Driver="overlay2", Platform="linux", ExecIDs=exec_ids or None,
        HostConfig=_host_config(c), GraphDriver=GraphDriver(Name="overlay2", Data=rootfs_data),
        Config=msgspec.convert(msgspec.to_builtins(c.config), ConfigView))


def summary(c: Container, image_ref: str, now: float | None = None) -> ContainerSummary:
    """One item of ``GET /containers/json`` before the plugins add their parts."""
    now = time.time() if now is None else now
    return ContainerSummary(
        Id=c.id, Names=["/" + c.name], Image=image_ref, ImageID=c.image_id,
        Command=command_text(c), Created=int(c.created_unix), Labels=c.config.Labels or {},
        State=c.status.value, Status=status_text(c, now),
        HostConfig=SummaryHostConfig(NetworkMode=_network_mode(c.host_config.NetworkMode)))


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
            ok = labels_match(c.config.Labels or {}, values)
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
            ok = True  # before/since: the caller's; network, volume, ports: view_matches
        if not ok:
            return False
    return True


def _port_keys(values: list[str]) -> set[str]:
    """``80``, ``80/udp``, ``8000-8002/tcp`` -> {"80/tcp", ...} (dockerd's port filters)."""
    out: set[str] = set()
    for v in values:
        first, last, proto = split_port(v)
        out.update(f"{p}/{proto}" for p in range(first, last + 1))
    return out


def view_matches(view: ContainerSummary, filters: dict[str, list[str]]) -> bool:
    """dockerd's ``ps`` filters on what the plugins put in a summary: ``volume`` (a mount's
    name, source or destination), ``network`` (a network's name or an ID prefix),
    ``publish`` and ``expose`` (a published or container port; either one suffices)."""
    if "volume" in filters:
        held = {m.Name if isinstance(m.Name, str) and m.Name else m.Source for m in view.Mounts}
        held.update(m.Destination for m in view.Mounts if m.Destination)
        if not held.intersection(filters["volume"]):
            return False
    if "network" in filters:
        nets = view.NetworkSettings.Networks
        if not any(v in nets or any(e.NetworkID.startswith(v) for e in nets.values())
                   for v in filters["network"]):
            return False
    if "publish" in filters or "expose" in filters:
        published = _port_keys(filters.get("publish", []))
        exposed = _port_keys(filters.get("expose", []))
        if not any(f"{p.PublicPort or 0}/{p.Type}" in published
                   or f"{p.PrivatePort}/{p.Type}" in exposed for p in view.Ports):
            return False
    return True
