"""``pallet compose``: compose files to a typed project model (loader, interpolation,
schema validation, merge, extends, include, profiles), a pure planner that compares it
with the containers that exist, and an executor that carries the plan out through
:mod:`pallet.client`, so it drives palletd or a real dockerd alike.
"""
