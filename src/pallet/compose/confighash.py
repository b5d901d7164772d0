"""The config hash: what a service's container records of the configuration it was
made from (the ``com.docker.compose.config-hash`` label), so ``up`` recreates only the
services whose configuration changed.

It is Compose v2's hash, byte for byte, so that ``pallet compose`` and ``docker compose``
each see the other's containers as up to date: the sha256 of the service as ``docker
compose config --format json`` prints it (:mod:`pallet.compose.render`), encoded as Go's
``encoding/json`` encodes it (compact, ``<``, ``>`` and ``&`` escaped, whole floats
without a fraction), without what can change with no new container: how the image is
built or pulled (``build``, ``pull_policy``), the replica count (``scale``,
``deploy.replicas``), the start order (``depends_on``) and ``profiles``. Go also writes an
unset ``command`` and ``entrypoint`` as ``null`` and an unset ``deploy.placement`` as
``{}``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_IGNORED = ("build", "pull_policy", "scale", "depends_on", "profiles")
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
            "\u2029": "\\u2029"}
_DEPLOY_TAIL = ("endpoint_mode",)  # deploy keys Go writes after placement


def _go_floats(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _go_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_floats(v) for v in value]
    return value


def go_json(doc: Any) -> bytes:
    """``doc`` as Go's ``json.Marshal`` writes it (keys in the order given)."""
    text = json.dumps(_go_floats(doc), separators=(",", ":"), ensure_ascii=False)
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text.encode()


def service_hash(service: dict[str, Any]) -> str:
    """The hash of one service's printed document (``render.document``'s form)."""
    doc = {k: v for k, v in service.items() if k not in _IGNORED}
    doc.setdefault("command", None)
    doc.setdefault("entrypoint", None)
    deploy = doc.get("deploy")
    if isinstance(deploy, dict):
        head = {k: v for k, v in deploy.items() if k != "replicas" and k not in _DEPLOY_TAIL}
        head.setdefault("placement", {})
        head.update({k: deploy[k] for k in _DEPLOY_TAIL if k in deploy})
        doc["deploy"] = head
    ordered = {k: doc[k] for k in sorted(doc)}
    return hashlib.sha256(go_json(ordered)).hexdigest()


def project_hashes(project: Any) -> dict[str, str]:
    """Each service's hash (``project`` is a :class:`~pallet.compose.model.Project`)."""
    from pallet.compose.render import document

    services: dict[str, Any] = document(project, printed=False).get("services", {})
    return {name: service_hash(svc) for name, svc in services.items()}
