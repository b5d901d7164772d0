"""The service keys the converter does not carry to Kubernetes, each named in a warning.

The converter reads the keys in :data:`HANDLED`; any other key a service sets (a value
other than the model's default) is reported by service and key, so nothing is dropped
silently. A few get a reason of their own (host networking, devices, host namespaces).
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from pallet.compose.model import Project, Service

HANDLED = frozenset((
    "name", "image", "build", "command", "entrypoint", "environment", "working_dir",
    "ports", "expose", "healthcheck", "deploy", "mem_limit", "mem_reservation", "cpus",
    "user", "read_only", "cap_add", "cap_drop", "security_opt", "privileged", "volumes",
    "tmpfs", "secrets", "configs", "depends_on", "networks", "hostname", "stop_grace_period",
    "restart", "scale", "stdin_open", "tty", "container_name", "labels", "profiles",
    "pull_policy", "extensions", "env_file",
))
REASONS = {
    "network_mode": "has no Kubernetes form (pods have their own network; hostNetwork "
                    "would expose the node)",
    "devices": "host devices have no faithful Kubernetes form (a device plugin is needed)",
    "pid": "a shared or host PID namespace has no faithful form here",
    "ipc": "a shared or host IPC namespace has no faithful form here",
    "extra_hosts": "is not carried over (hostAliases would be; not done here)",
}


def unhandled_keys(project: Project) -> Iterator[str]:
    for name in sorted(project.services):
        yield from service_keys(project.services[name])


def service_keys(svc: Service) -> Iterator[str]:
    defaults = Service()
    for field in msgspec.structs.fields(Service):
        key = field.name
        value = getattr(svc, key)
        if key in HANDLED or value == getattr(defaults, key):
            continue
        if key == "deploy":
            continue
        reason = REASONS.get(key, "has no Kubernetes form here; dropped")
        yield f"service {svc.name}: {key}: {_short(value)} {reason}"
    if svc.deploy is not None:
        for key in ("mode", "restart_policy", "endpoint_mode", "labels"):
            if getattr(svc.deploy, key) is not None:
                yield f"service {svc.name}: deploy.{key} has no Kubernetes form here; dropped"
        res = svc.deploy.resources
        for which in (res.limits, res.reservations) if res else ():
            if which is not None and (which.pids or which.devices):
                yield (f"service {svc.name}: deploy.resources pids/devices have no "
                       "Kubernetes form here; dropped")


def _short(value: object) -> str:
    text = repr(msgspec.to_builtins(value))
    return text if len(text) <= 60 else text[:57] + "..."
