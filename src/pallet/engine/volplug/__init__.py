"""Volumes in the engine: the volume service (create, list, inspect, remove, prune over
``pallet.volumes``' store) and the container plugin that resolves a container's mounts
at create, binds them at start and removes its anonymous volumes on ``rm -v``.
"""
