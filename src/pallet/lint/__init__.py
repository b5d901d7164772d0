"""The linter core: the guide's anti-patterns and Production Readiness Checklist as rules.

``catalogue`` names every rule (a stable id, a one-line reason, the fix, the hadolint ids it
covers); ``dockerfile`` checks a Dockerfile read by the builder's own parser
(``pallet.dockerfile``); ``policy`` applies ignores (``--ignore``, inline
``# pallet-lint ignore=ID``, ``.pallet-lint.yaml``) and the failure threshold; ``output``
writes text, JSON or SARIF 2.1.0; ``checklist`` grades a container's or an image's inspect
document item by item. Neutral ground, like ``pallet.scancore``: ``pallet lint`` and
``pallet check`` (client side) and palletd's ``POST /pallet/lint`` and
``GET /pallet/containers/{id}/check`` (daemon side) share it; it imports only
``pallet.dockerfile``, ``pallet.notation`` and ``pallet.errors``. The compose rules read
the compose loader's model, which is client side, so they live in ``pallet.composelint``.
"""
