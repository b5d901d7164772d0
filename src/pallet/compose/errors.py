"""The loader's one error kind: a compose file, or its environment, that cannot be loaded.

``where`` is ``file:line`` when the cause has a place (a key in a file, a line of an env
file); the message then reads ``compose.yaml:3: services.web.imagee: ...``. It is an
:class:`~pallet.errors.InvalidArgument`, so the CLI prints it and exits 1 as Compose v2 does.
"""

from __future__ import annotations

from pallet.errors import InvalidArgument


class ComposeError(InvalidArgument):
    """A compose project the loader rejects (nothing was created)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.detail = message
