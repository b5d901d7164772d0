"""Container logs on disk (json-file and k8s-file as conmon writes them), reading them
back with follow, tail, since and until, and rotation.
"""
