"""Docker's semantics, without HTTP or CLI: containers and their lifecycle table,
start and stop, exits and restarts, health, exec, attach, logs, stats, events, networks
and volumes as container plugins, commit and export, prune and disk usage. Built from
the parts below it (images, snapshots, runtime, network, volumes, logs) by the wiring.
"""
