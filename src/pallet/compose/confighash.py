"""The config hash: what a service's container records of the configuration it was
made from (the ``com.docker.compose.config-hash`` label), so ``up`` recreates only the
services whose configuration changed.

As in Compose v2, the hash covers the whole normalised service except what can change
without touching a container: how the image is built or pulled (``build``,
``pull_policy``), how many replicas run (``scale``, ``deploy.replicas``), the start order
(``depends_on``) and ``profiles``. It is the sha256 of the service's canonical JSON
(keys sorted, no spaces).
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

_IGNORED = ("build", "pull_policy", "scale", "depends_on", "profiles")


def service_hash(service: Any) -> str:
    """The hex sha256 of ``service`` (a model Struct or its builtins form) without
    the fields that do not need a new container."""
    doc = msgspec.to_builtins(service)
    if not isinstance(doc, dict):
        raise TypeError("a service is a mapping")
    doc = {k: v for k, v in doc.items() if k not in _IGNORED}
    deploy = doc.get("deploy")
    if isinstance(deploy, dict) and "replicas" in deploy:
        deploy = {k: v for k, v in deploy.items() if k != "replicas"}
        if deploy:
            doc["deploy"] = deploy
        else:
            del doc["deploy"]
    return hashlib.sha256(msgspec.json.encode(doc, order="sorted")).hexdigest()
