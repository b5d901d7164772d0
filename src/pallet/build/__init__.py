"""The classic builder behind ``POST /build``: the Dockerfile parser and word expansion
(pure), stages and their dependencies, the executor that runs each instruction in a
step container, the build cache, COPY/ADD with ``.dockerignore`` and the context tar's
index. Daemon side; the CLI sends a context and reads the stream, it never imports
this package.
"""
