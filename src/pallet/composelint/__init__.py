"""The compose rules of ``pallet lint`` (PL2xx), over the compose loader's own model.

Client side: the loader (``pallet.compose``) reads the files exactly as ``pallet compose``
does (interpolation, overrides, ``extends``, the schema), keeping the ``file:line`` of
every key, and :mod:`.rules` reads the normalised services. The rule catalogue, ignores,
threshold and output formats are the shared core's (``pallet.lint``).
"""
