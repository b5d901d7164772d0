"""Docker's strings parsed into types, pure: ports, mounts, sizes, durations,
timestamps (read and written), env files, signals, filters, key=value lists.
"""
