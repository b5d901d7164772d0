"""Local volumes: records, their directories under the state root, and mount points
(binds, volumes, tmpfs) resolved from Docker's flags.
"""
