"""The classic builder behind ``POST /build``: stages and their dependencies, the
executor that runs each instruction in a step container, the build cache, COPY/ADD with
``.dockerignore`` and the context tar's index. The Dockerfile parser and word expansion
it builds from live in ``pallet.dockerfile`` (neutral ground the linter shares). Daemon
side; the CLI sends a context and reads the stream, it never imports this package.
"""
