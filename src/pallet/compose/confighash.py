"""The config hash: what a service's container records of the configuration it was
made from (the ``com.docker.compose.config-hash`` label), so ``up`` recreates only the
services whose configuration changed.

It is Compose v2's hash, byte for byte, so that ``pallet compose`` and ``docker compose``
each see the other's containers as up to date: the sha256 of the service as ``docker
compose config --format json`` prints it (:mod:`pallet.compose.render`), encoded as Go's
``encoding/json`` encodes compose-go's ServiceConfig (its fields in declaration order,
compact, ``<``, ``>`` and ``&`` escaped, whole floats without a fraction), without what
can change with no new container: how the image is built or pulled (``build``,
``pull_policy``), the replica count (``scale``, ``deploy.replicas``), the start order
(``depends_on``) and ``profiles``. Go also writes an unset ``command`` and ``entrypoint``
as ``null`` and an unset ``deploy.resources`` or ``deploy.placement`` as ``{}``.

Networks and volumes carry Compose v2's hash too: the sha256 of the network's printed
document, and of the volume's with ``driver: local`` filled in when none is set.
"""

from __future__ import annotations

from typing import Any

_IGNORED = ("build", "pull_policy", "scale", "depends_on", "profiles")
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
            "\u2029": "\\u2029"}
# compose-go's DeployConfig in declaration order, less replicas; resources and placement are
# structs, which Go's omitempty never leaves out (written {} when unset)
_DEPLOY = ("mode", "labels", "update_config", "rollback_config", "resources",
           "restart_policy", "placement", "endpoint_mode")
# compose-go's ServiceConfig fields in declaration order, the order json.Marshal writes them
# (not sorted: cpus before command, environment before env_file, hostname before healthcheck)
_SERVICE_FIELDS = (
    "profiles annotations attach build develop blkio_config cap_add cap_drop cgroup_parent "
    "cgroup cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpus "
    "cpuset cpu_shares command configs container_name credential_spec depends_on deploy "
    "device_cgroup_rules devices dns dns_opt dns_search dockerfile domainname entrypoint "
    "provider environment env_file expose extends external_links extra_hosts group_add gpus "
    "hostname healthcheck image init ipc isolation labels label_file links logging "
    "log_driver log_opt mem_limit mem_reservation memswap_limit mem_swappiness mac_address "
    "models net network_mode networks oom_kill_disable oom_score_adj pid pids_limit "
    "platform ports privileged pull_policy read_only restart runtime scale secrets "
    "security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls "
    "tmpfs tty ulimits use_api_socket user userns_mode uts volume_driver volumes "
    "volumes_from working_dir pre_start post_start pre_stop").split()
_SERVICE_RANK = {name: i for i, name in enumerate(_SERVICE_FIELDS)}


def go_floats(value: Any) -> Any:
    """``value`` with whole floats as ints, as Go formats a float (``1``, not ``1.0``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: go_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [go_floats(v) for v in value]
    return value


def go_json(doc: Any, indent: int | None = None) -> bytes:
    """``doc`` as Go's ``json.Marshal`` (or ``MarshalIndent`` with ``indent`` spaces)
    writes it, keys in the order given."""
    import json  # here: a down, which hashes nothing, needs neither json nor hashlib

    seps = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(go_floats(doc), separators=seps, indent=indent, ensure_ascii=False)
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text.encode()


def go_service(service: dict[str, Any], *, replicas: bool = True) -> dict[str, Any]:
    """A printed service document as Go encodes compose-go's ServiceConfig: ``command`` and
    ``entrypoint`` written even unset, the fields in declaration order, ``deploy`` in
    DeployConfig's (``replicas=False``: without its replica count, as the hash has it)."""
    doc = {"command": None, "entrypoint": None, **service}
    deploy = doc.get("deploy")
    if isinstance(deploy, dict):
        full = {"resources": {}, "placement": {}, **deploy}
        order = (_DEPLOY[0], "replicas", *_DEPLOY[1:]) if replicas else _DEPLOY
        doc["deploy"] = {k: full[k] for k in order if k in full}
    last = len(_SERVICE_FIELDS)
    return {k: doc[k] for k in sorted(doc, key=lambda k: (_SERVICE_RANK.get(k, last), k))}


def _sha256(data: bytes) -> str:
    """SHA-256 from CPython's own module where it has one: ``hashlib`` loads OpenSSL
    first, ~3 ms of every ``up`` for a few small documents."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:
        try:  # 3.12 renamed it
            from _sha2 import sha256  # type: ignore[import-not-found]
        except ImportError:  # hashlib does the same, only slower to load
            from hashlib import sha256
    digest: str = sha256(data).hexdigest()
    return digest


def service_hash(service: dict[str, Any]) -> str:
    """The hash of one service's printed document (``render.document``'s form)."""
    doc = {k: v for k, v in service.items() if k not in _IGNORED}
    return _sha256(go_json(go_service(doc, replicas=False)))


_NETWORK = ("name", "driver", "driver_opts", "ipam", "external", "internal", "attachable",
            "labels", "enable_ipv4", "enable_ipv6")
_IPAM = ("driver", "config", "options")
_POOL = ("subnet", "gateway", "ip_range", "aux_addresses")
_VOLUME = ("name", "driver", "driver_opts", "external", "labels")


def _fields(doc: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """``doc``'s fields in Go's struct order (``x-*`` extensions are not encoded)."""
    return {k: doc[k] for k in order if k in doc}


def go_network(network: dict[str, Any]) -> dict[str, Any]:
    """A printed network document as Go encodes NetworkConfig (its ``ipam`` always
    written, as Go writes a struct)."""
    ipam = _fields(network.get("ipam") or {}, _IPAM)
    if "config" in ipam:
        ipam["config"] = [_fields(pool, _POOL) for pool in ipam["config"]]
    return _fields({**network, "ipam": ipam}, _NETWORK)


def go_volume(volume: dict[str, Any]) -> dict[str, Any]:
    """A printed volume document as Go encodes VolumeConfig."""
    return _fields(volume, _VOLUME)


def network_hash(network: dict[str, Any]) -> str:
    """The hash of one network's printed document."""
    return _sha256(go_json(go_network(network)))


def volume_hash(volume: dict[str, Any]) -> str:
    """The hash of one volume's printed document; the driver defaults to ``local``."""
    return _sha256(go_json(go_volume({"driver": "local", **volume})))


class ProjectHashes:
    """Every hash of one project, from one printed document (``project`` is a
    :class:`~pallet.compose.model.Project`): ``services``, ``networks`` and ``volumes``,
    each by key in the file."""

    def __init__(self, project: Any) -> None:
        from pallet.compose.render import document

        doc: dict[str, Any] = document(project, printed=False)
        self.services = {k: service_hash(v) for k, v in doc.get("services", {}).items()}
        self.networks = {k: network_hash(v) for k, v in (doc.get("networks") or {}).items()}
        self.volumes = {k: volume_hash(v) for k, v in (doc.get("volumes") or {}).items()}


def project_hashes(project: Any) -> dict[str, str]:
    """Each service's hash (``project`` is a :class:`~pallet.compose.model.Project`)."""
    return ProjectHashes(project).services
