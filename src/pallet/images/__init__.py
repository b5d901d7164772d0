"""Images: records in SQLite, resolution of names and IDs, pull and push through
:mod:`pallet.registry`, save, load and import, commit of a container's layer, and the
bootstrapped base images (busybox, Debian) that stand in for Docker Hub here.
"""
