"""One replica of a played workload: its volumes made, its initContainers run to success
in order, then its containers created on the workload's networks (with the Services'
names as aliases, NodePort/LoadBalancer ports published) and started.
"""

from __future__ import annotations

from pallet.api.models import EndpointSettings
from pallet.client import Client
from pallet.errors import InvalidArgument, NotFound
from pallet.kube.podrun import Lookup, Sources, create_body
from pallet.kube.podspec import Obj


def _ports(services: list[Obj]) -> dict[str, list[dict[str, str]]]:
    """Host port bindings of the NodePort and LoadBalancer Services selecting the pod."""
    out: dict[str, list[dict[str, str]]] = {}
    for s in services:
        spec = s.get("spec") or {}
        if spec.get("type") not in ("NodePort", "LoadBalancer"):
            continue
        for p in spec.get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            host = p.get("nodePort") if spec["type"] == "NodePort" else p.get("port")
            proto = str(p.get("protocol", "TCP")).lower()
            out.setdefault(f"{target}/{proto}", []).append({"HostPort": str(host or "")})
    return out


def await_ready(client: Client, refs: list[str], warn: list[str]) -> None:
    """Wait until each container with a health check is healthy: a Service answers
    only for ready pods, and an initContainer waiting on one expects that. Bounded by the
    container's own health timing (start period + retries x (interval + timeout))."""
    import time

    for ref in refs:
        doc = client.containers.inspect(ref)
        hc = (doc.get("Config") or {}).get("Healthcheck") or {}
        if not hc.get("Test") or hc["Test"][0] == "NONE":
            continue
        ns = hc.get("StartPeriod", 0) + (hc.get("Retries") or 3) * (
            (hc.get("Interval") or 30 * 10**9) + (hc.get("Timeout") or 30 * 10**9))
        deadline = time.monotonic() + ns / 1e9
        while True:
            status = ((client.containers.inspect(ref).get("State") or {}).get("Health")
                      or {}).get("Status")
            if status == "healthy":
                break
            if time.monotonic() > deadline or status == "unhealthy":
                warn.append(f"container {doc.get('Name', ref).lstrip('/')} is not healthy "
                            f"({status}); the workloads waiting on it start anyway")
                break
            time.sleep(0.5)


def start_pod(client: Client, w: Obj, replica: int, play: str, nets: list[str],
              aliases: list[str], services: list[Obj], sources: Sources, lookup: Lookup,
              warn: list[str]) -> list[str]:
    """Start one replica; the IDs of its (main) containers."""
    from pallet.kube.play import LABEL

    wname = w["metadata"]["name"]
    pod = ((w.get("spec") or {}).get("template") or {}).get("spec") or {}
    labels = {LABEL: play, "io.pallet.kube.workload": wname}
    for kind, value in sources.values():
        if kind == "volume":
            try:
                client.volumes.inspect(value)
            except NotFound:
                client.volumes.create({"Name": value, "Labels": {LABEL: play}})
    base = f"{play}-{wname}-{replica}"
    started: list[str] = []
    for i, c in enumerate(pod.get("initContainers") or []):
        where = f"{w['kind']} {wname} initContainer {c.get('name')}"
        body = create_body(c, pod, sources, lookup, labels, warn, where)
        ref = _create(client, body, f"{base}-init-{i}", nets, aliases=[])
        client.containers.start(ref)
        status = client.containers.wait(ref).result()
        if status.StatusCode != 0:
            raise InvalidArgument(f"{where} exited with {status.StatusCode}; the play is "
                                  "removed")
        client.containers.remove(ref, force=True)
    published = _ports(services) if replica == 0 else {}
    if replica and _ports(services):
        warn.append(f"{w['kind']} {wname}: replica {replica} does not publish ports (one "
                    "host port each)")
    for i, c in enumerate(pod.get("containers") or []):
        where = f"{w['kind']} {wname} container {c.get('name')}"
        body = create_body(c, pod, sources, lookup, labels, warn, where)
        body["HostConfig"]["RestartPolicy"] = {"Name": "unless-stopped"}
        mine = {k: v for k, v in published.items()
                if int(k.partition("/")[0]) in {p.get("containerPort") for p in
                                                c.get("ports") or []}}
        for p in c.get("ports") or []:
            if p.get("hostPort") and replica == 0:
                key = f"{p['containerPort']}/{str(p.get('protocol', 'TCP')).lower()}"
                mine.setdefault(key, []).append({"HostIp": p.get("hostIP", ""),
                                                 "HostPort": str(p["hostPort"])})
        if mine:
            body["HostConfig"]["PortBindings"] = mine
            body["ExposedPorts"] = {k: {} for k in mine}
        if pod.get("hostname") and i == 0:
            body["Hostname"] = pod["hostname"]
        ref = _create(client, body, base if i == 0 else f"{base}-{c.get('name')}", nets,
                      aliases if i == 0 else [])
        client.containers.start(ref)
        started.append(ref)
    return started


def _create(client: Client, body: Obj, name: str, nets: list[str], aliases: list[str]) -> str:
    body["NetworkingConfig"] = {"EndpointsConfig": {nets[0]: {"Aliases": aliases}}}
    body["HostConfig"]["NetworkMode"] = nets[0]
    ref = client.containers.create(body, name=name).Id
    for net in nets[1:]:
        client.networks.connect(net, ref, EndpointSettings(Aliases=aliases or None))
    return ref
