"""``pallet kube play``: Kubernetes objects run as containers, networks and volumes on the
engine, and ``--down`` to remove them (as ``podman kube play``).

Everything made carries the label ``io.pallet.kube.play=NAME`` and ``--down`` removes what
has it. Deployments and StatefulSets run ``replicas`` containers each (after their
initContainers ran to success; workloads without any start first, and those with wait
until the started containers with a health check are healthy, as a Service answers only
for ready pods), PersistentVolumeClaims
and claim templates are named volumes, Secrets and ConfigMaps files under a root-only
directory on this host, bound read-only. A Service is a network alias of the pods it
selects; a NodePort or LoadBalancer Service publishes its ports on the host. Networks come
from the NetworkPolicies: a policy that admits into a set of pods only pods of the same set
is one network those pods join (the form :mod:`pallet.kube.resources` writes); without such
policies every pod joins one network. Other objects and fields are reported, not honoured.
"""

from __future__ import annotations

import base64
import os
import shutil

from pallet.client import Client
from pallet.errors import Conflict, InvalidArgument, NotFound, PalletError
from pallet.kube.podrun import Sources
from pallet.kube.podspec import Obj

LABEL = "io.pallet.kube.play"
WORKLOADS = ("Deployment", "StatefulSet", "Pod")
KNOWN = (*WORKLOADS, "Service", "Secret", "ConfigMap", "PersistentVolumeClaim",
         "NetworkPolicy")


def files_root() -> str:
    return "/run/pallet-kube" if os.geteuid() == 0 else os.path.join(
        os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "pallet-kube")


def _groups(objects: list[Obj], play: str, warn: list[str]) -> dict[str, dict[str, str]]:
    """Network name -> the pod labels that put a pod on it."""
    groups: dict[str, dict[str, str]] = {}
    for obj in objects:
        if obj["kind"] != "NetworkPolicy":
            continue
        spec, name = obj.get("spec") or {}, obj["metadata"]["name"]
        selector = (spec.get("podSelector") or {}).get("matchLabels") or {}
        rules = spec.get("ingress") or []
        peers = [p for r in rules for p in r.get("from") or []]
        if rules and not peers:
            continue  # admits anyone on some ports: nothing to segment
        if (selector and len(peers) == 1 and set(peers[0]) == {"podSelector"}
                and (peers[0]["podSelector"].get("matchLabels") or {}) == selector
                and not spec.get("egress")):
            groups[f"{play}_{name}"] = selector
        else:
            warn.append(f"NetworkPolicy {name}: only policies admitting their own pods are "
                        "played (as a network); not honoured")
    return groups


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class _Data:
    """The play's Secrets and ConfigMaps (decoded), looked up by kind, name and key."""

    def __init__(self, objects: list[Obj]) -> None:
        self.maps: dict[tuple[str, str], dict[str, bytes]] = {}
        for obj in objects:
            if obj["kind"] not in ("Secret", "ConfigMap"):
                continue
            data = {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()} \
                if obj["kind"] == "Secret" else {k: str(v).encode() for k, v in
                                                 (obj.get("data") or {}).items()}
            data.update({k: str(v).encode() for k, v in (obj.get("stringData") or {}).items()})
            data.update({k: base64.b64decode(v) for k, v in
                         (obj.get("binaryData") or {}).items()})
            self.maps[(obj["kind"], obj["metadata"]["name"])] = data

    def lookup(self, kind: str, name: str, key: str) -> str | None:
        found = self.maps.get(("Secret" if kind.startswith("secret") else "ConfigMap", name))
        if found is None:
            return None
        if not key:
            return "\0".join(found)
        value = found.get(key)
        return value.decode(errors="replace") if value is not None else None


def play(client: Client, objects: list[Obj], name: str) -> list[str]:
    """Run the objects; the warnings (what was not honoured). Fails before making anything
    on an image the engine lacks or a play of that name that is up; a failure midway (an
    initContainer that fails...) removes what the play made."""
    warn: list[str] = []
    for obj in objects:
        if obj.get("kind") not in KNOWN:
            warn.append(f"{obj.get('kind')} {obj.get('metadata', {}).get('name')}: "
                        "not played")
    workloads = [as_workload(o) for o in objects if o["kind"] in WORKLOADS]
    for w in workloads:
        for c in _pod(w).get("initContainers", []) + _pod(w).get("containers", []):
            try:
                client.images.inspect(c.get("image", ""))
            except NotFound:
                raise InvalidArgument(f"{w['kind']} {w['metadata']['name']}: image "
                                      f"{c.get('image')} is not on the engine (pull or load "
                                      "it first); nothing made") from None
    filters = {"label": [f"{LABEL}={name}"]}
    if client.containers.list(all=True, filters=filters) or client.networks.list(filters):
        raise Conflict(f"play {name} is already up; pallet kube play --down removes it")
    try:
        _make(client, objects, workloads, name, warn)
    except BaseException:
        down(client, name)  # nothing half-made stays
        raise
    return warn


def _make(client: Client, objects: list[Obj], workloads: list[Obj], name: str,
          warn: list[str]) -> None:
    from pallet.kube.playrun import await_ready

    labels = {LABEL: name}
    groups = _groups(objects, name, warn) or {f"{name}_default": {}}
    for net in groups:
        client.networks.create({"Name": net, "Labels": labels})
    data = _Data(objects)
    for obj in objects:
        if obj["kind"] == "PersistentVolumeClaim":
            client.volumes.create({"Name": f"{name}_{obj['metadata']['name']}",
                                   "Labels": labels})
    services = [o for o in objects if o["kind"] == "Service"]
    started: list[str] = []
    waited = False
    for w in sorted(workloads, key=lambda w: bool(_pod(w).get("initContainers"))):
        if _pod(w).get("initContainers") and not waited:
            await_ready(client, started, warn)
            waited = True
        started += _run_workload(client, w, name, groups, services, data, warn)


def as_workload(obj: Obj) -> Obj:
    """A bare Pod (what ``podman kube generate`` writes) as a one-replica workload."""
    if obj["kind"] != "Pod":
        return obj
    meta = obj.get("metadata") or {}
    return {"kind": "Pod", "metadata": meta, "spec": {"replicas": 1, "template": {
        "metadata": {"labels": meta.get("labels") or {}}, "spec": obj.get("spec") or {}}}}


def _pod(w: Obj) -> Obj:
    pod: Obj = ((w.get("spec") or {}).get("template") or {}).get("spec") or {}
    return pod


def _sources(w: Obj, play: str, replica: int, data: _Data, warn: list[str]) -> Sources:
    out: Sources = {}
    wname = w["metadata"]["name"]
    for t in (w.get("spec") or {}).get("volumeClaimTemplates") or []:
        out[t["metadata"]["name"]] = ("volume", f"{play}_{t['metadata']['name']}-{wname}-"
                                                f"{replica}")
    for v in _pod(w).get("volumes") or []:
        vname = v["name"]
        if "persistentVolumeClaim" in v:
            out[vname] = ("volume", f"{play}_{v['persistentVolumeClaim']['claimName']}")
        elif "emptyDir" in v:
            empty = v["emptyDir"] or {}
            if empty.get("medium") == "Memory":
                from pallet.kube.podrun import quantity

                size = empty.get("sizeLimit")
                out[vname] = ("tmpfs", int(quantity(size)) if size else None)
            else:
                out[vname] = ("anonymous", None)
        elif "hostPath" in v and str(v["hostPath"].get("path", "")).startswith("/"):
            out[vname] = ("bind", v["hostPath"]["path"])
        elif "secret" in v or "configMap" in v:
            out[vname] = ("files", _write_files(v, play, wname, data))
        else:
            warn.append(f"{w['kind']} {wname}: volume {vname} "
                        f"({', '.join(k for k in v if k != 'name')}) not honoured")
    return out


def _write_files(v: Obj, play: str, workload: str, data: _Data) -> str:
    kind = "Secret" if "secret" in v else "ConfigMap"
    src = v.get("secret") or v.get("configMap") or {}
    objname = src.get("secretName") or src.get("name") or ""
    found = data.maps.get((kind, objname))
    if found is None:
        raise InvalidArgument(f"{workload}: volume {v['name']} needs {kind} {objname}, "
                              "which the file does not hold")
    directory = os.path.join(files_root(), play, workload, v["name"])
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(os.path.join(files_root(), play), 0o700)
    default = int(src.get("defaultMode", 0o644))
    items = src.get("items") or [{"key": k, "path": k} for k in found]
    for item in items:
        path = os.path.join(directory, item["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(found.get(item["key"], b""))
        os.chmod(path, int(item.get("mode", default)))
    return directory


def _run_workload(client: Client, w: Obj, play: str, groups: dict[str, dict[str, str]],
                  services: list[Obj], data: _Data, warn: list[str]) -> list[str]:
    from pallet.kube.playrun import start_pod

    wname = w["metadata"]["name"]
    pod = _pod(w)
    pod_labels = ((w["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    nets = [n for n, sel in groups.items() if _matches(sel, pod_labels)] or \
        [n for n, sel in groups.items() if not sel]
    if not nets:
        nets = [f"{play}_default"]
        if not _exists(client, nets[0]):
            client.networks.create({"Name": nets[0], "Labels": {LABEL: play}})
    chosen = [s for s in services if _matches((s.get("spec") or {}).get("selector") or {},
                                               pod_labels)]
    aliases = sorted({wname, *(s["metadata"]["name"] for s in chosen)})
    for key in sorted(set(pod) - {"containers", "initContainers", "volumes",
                                  "securityContext", "hostname", "restartPolicy",
                                  "terminationGracePeriodSeconds", "enableServiceLinks",
                                  "automountServiceAccountToken"}):
        warn.append(f"{w['kind']} {wname}: {key} not honoured")
    if len(pod.get("containers") or []) > 1:
        warn.append(f"{w['kind']} {wname}: containers after the first run as separate "
                    "containers on the same networks (no shared network namespace)")
    started: list[str] = []
    for replica in range((w.get("spec") or {}).get("replicas", 1)):
        sources = _sources(w, play, replica, data, warn)
        started += start_pod(client, w, replica, play, nets, aliases, chosen, sources,
                             data.lookup, warn)
    return started


def _exists(client: Client, network: str) -> bool:
    try:
        client.networks.inspect(network)
        return True
    except NotFound:
        return False


def down(client: Client, name: str) -> list[str]:
    """Remove every container, network and volume labelled for play ``name``; what went."""
    gone: list[str] = []
    filters = {"label": [f"{LABEL}={name}"]}
    for c in client.containers.list(all=True, filters=filters):
        client.containers.remove(c["Id"], force=True, volumes=True)
        gone.append(f"container {c['Names'][0].lstrip('/')}")
    for n in client.networks.list(filters):
        client.networks.remove(n.Id)
        gone.append(f"network {n.Name}")
    for v in client.volumes.list(filters).Volumes or []:
        try:
            client.volumes.remove(v.Name)
            gone.append(f"volume {v.Name}")
        except PalletError as err:
            gone.append(f"volume {v.Name} kept: {err}")
    shutil.rmtree(os.path.join(files_root(), name), ignore_errors=True)
    return gone
