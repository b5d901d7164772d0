"""The OCI runtime through conmon: crun or runc, the runtime spec generated from a
container's config, exec, consoles, exit files, seccomp, capabilities, and the host
check at start (cgroups, tools).
"""
