"""Layer snapshots as containerd names them (prepare, view, commit, remove, usage):
overlayfs in production, a plain-copy snapshotter for tests, and layer apply and diff.
"""
