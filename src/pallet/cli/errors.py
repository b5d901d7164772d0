"""The one place where failures become messages on stderr and exit codes.

Docker's conventions: daemon errors print ``Error response from daemon: ...``
and exit 1; ``run``/``create`` exit 125 when the daemon or CLI fails, 126 when
the command cannot be invoked, 127 when it is not found; usage errors exit 125.
"""

from __future__ import annotations

from pallet.client.http import ConnectionFailed
from pallet.errors import PalletError

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable

# how this invocation writes a failure's line (``compose --progress json``: as JSON)
_line_format: Callable[[str], str] | None = None


def set_error_format(fmt: Callable[[str], str] | None) -> None:
    global _line_format
    _line_format = fmt


def error_line(text: str) -> str:
    """The line to print for a failure whose message is ``text``."""
    return _line_format(text) if _line_format is not None else text


class StatusError(Exception):
    """Leave with ``code``; ``message`` (if any) goes to stderr first."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def describe(err: PalletError) -> str:
    """The line docker would print for ``err``."""
    if isinstance(err, ConnectionFailed) or not getattr(err, "from_daemon", False):
        return err.message
    return f"Error response from daemon: {err.message}"


def start_failure_code(message: str) -> int:
    """docker/cli ``runStartContainerErr``: 127 not found, 126 not executable, else 125."""
    text = message.removeprefix("Error response from daemon: ")
    if (
        "executable file not found" in text
        or "no such file or directory" in text
        or "system cannot find the file specified" in text
    ):
        return 127
    if "permission denied" in text or "is a directory" in text:
        return 126
    return 125
