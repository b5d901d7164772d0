"""OS primitives: atomic files, the SQLite database, ids, mounts, locks, paths,
private modes for the state directory, and resolving paths inside a root.
"""
