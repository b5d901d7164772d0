"""OCI facts, mostly pure: digests, descriptors, manifests and indexes, image
configs, references, platforms, media types, and the layer tar rules (whiteouts, safe
paths, the openat2 walk that keeps every write inside its root).
"""
