"""``pallet kube``: containers and compose projects to Kubernetes manifests, and back.
"""
