"""The command that fixes each failed container item, for a container run by hand or a
Compose service.

A limit or a restart policy changes in place (``pallet update``); the rest is fixed where
the container is defined: the ``pallet run`` flags to recreate it with, or, for a container
of a Compose project (its ``com.docker.compose.service`` label), the service's compose keys.
"""

from __future__ import annotations

# item id -> (fix for a container, fix for a Compose service); {name} and {service}
_FIXES: dict[str, tuple[str, str]] = {
    "limits.memory": ("pallet update --memory 512m --memory-swap 512m {name}",
                      "service {service}: deploy.resources.limits.memory: 512M "
                      "(or mem_limit: 512m)"),
    "limits.cpu": ("pallet update --cpus 1.0 {name}",
                   "service {service}: deploy.resources.limits.cpus: '1.0' (or cpus: 1.0)"),
    "security.read-only": ("recreate {name} with --read-only "
                           "--tmpfs /tmp:rw,noexec,nosuid,size=64m",
                           "service {service}: read_only: true and "
                           "tmpfs: [/tmp:rw,noexec,nosuid,size=64m]"),
    "security.user": ("recreate {name} with --user 10001",
                      'service {service}: user: "10001"'),
    "security.cap-drop": ("recreate {name} with --cap-drop ALL (and --cap-add only what it "
                          "needs)", "service {service}: cap_drop: [ALL] (cap_add: only what "
                          "it needs)"),
    "security.no-new-privileges": ("recreate {name} with --security-opt no-new-privileges",
                                   "service {service}: security_opt: "
                                   "[no-new-privileges:true]"),
    "security.seccomp": ("recreate {name} without --security-opt seccomp=unconfined",
                         "service {service}: drop seccomp:unconfined from security_opt"),
    "security.privileged": ("recreate {name} without --privileged (--cap-add the one "
                            "capability it needs)", "service {service}: drop privileged: true "
                            "(cap_add the one capability it needs)"),
    "security.host-namespaces": ("recreate {name} on a user-defined network (pallet network "
                                 "create app; --network app) without --pid host",
                                 "service {service}: networks: [backend] instead of "
                                 "network_mode: host; no pid: host"),
    "security.engine-socket": ("recreate {name} without mounting the engine's socket",
                               "service {service}: remove the engine socket from volumes:"),
    "security.env-secrets": ("recreate {name} with the secret in a file (-v "
                             "./secret:/run/secrets/NAME:ro) and VAR_FILE=/run/secrets/NAME",
                             "service {service}: secrets: [NAME] and "
                             "VAR_FILE=/run/secrets/NAME in environment:"),
    "resilience.restart": ("pallet update --restart unless-stopped {name}",
                           "service {service}: restart: unless-stopped"),
    "health.check": ("recreate {name} with --health-cmd 'wget -q --spider "
                     "http://localhost/health || exit 1' --health-interval 30s "
                     "(or HEALTHCHECK in the Dockerfile)",
                     "service {service}: healthcheck: {{test: [CMD, wget, -q, --spider, "
                     "http://localhost/health], interval: 30s}}"),
    "health.status": ("pallet inspect --format '{{{{json .State.Health}}}}' {name}",
                      "pallet inspect --format '{{{{json .State.Health}}}}' {name}"),
    "logging.rotation": ("recreate {name} with --log-opt max-size=10m --log-opt max-file=3",
                         "service {service}: logging: {{driver: json-file, options: "
                         "{{max-size: 10m, max-file: '3'}}}}"),
}


def fix_for(item: str, name: str, service: str = "") -> str:
    run, compose = _FIXES[item]
    return (compose if service else run).format(name=name, service=service)
