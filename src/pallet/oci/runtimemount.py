"""The OCI runtime spec's mount (an entry of ``config.json``'s ``mounts``) as a type.

What the engine (its ``/etc`` files), the volume plugin (binds, volumes, tmpfs) and the
builder (``RUN --mount``) hand the runtime for a container's start; the runtime's spec
generation writes each as its JSON object, next to Docker's default mounts.
"""

from __future__ import annotations

import msgspec


class OciMount(msgspec.Struct, kw_only=True):
    destination: str  # absolute, inside the container
    type: str = "bind"  # "bind" | "tmpfs" | ... (mount(8)'s type)
    source: str = ""  # a host path for a bind, the device name otherwise
    options: list[str] = []  # mount options, "rbind", "ro", "size=..."
