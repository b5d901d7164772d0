"""Networks in the engine: the network service (create, list, inspect, remove, prune
over ``pallet.network``'s store and IPAM) and the container plugin that gives each
container its endpoints. ``plugin`` holds the lifecycle hooks and composes the rest:
``wants`` (what a container asks for, its first state), ``endpoint`` (the setup at
start), ``reaper`` (teardowns and their crash notes), ``live`` (connect and disconnect
of a running container), ``spares`` (warm endpoints), ``keeper`` (the daemon's own
endpoint on the default bridge) and ``views`` (what list and inspect show).
"""
