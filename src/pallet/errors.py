"""Error kinds.

Every failure pallet reports is one of these kinds. Each edge maps a kind once:
the server to an HTTP status and Docker's ``{"message": ...}`` body
(``pallet.server.errors``), the client back to a kind (``pallet.client``), the
CLI to an exit code. Nothing below the CLI prints or exits.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType


class PalletError(Exception):
    """Base of every error kind; ``str(err)`` is the one-line message shown to users."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(PalletError):
    """The caller asked for something malformed (400)."""

    status = 400


class StepFailed(InvalidArgument):
    """A build step's command exited non-zero; ``code`` is its exit status (the build
    stream's ``errorDetail.code``)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Unauthorized(PalletError):
    status = 401


class Forbidden(PalletError):
    status = 403


class NotFound(PalletError):
    """No such object (404). Docker's clients key on this status (pull-on-run)."""

    status = 404


class Conflict(PalletError):
    """The object's state forbids the request: name in use, container running (409)."""

    status = 409


class NotModified(PalletError):
    """Nothing to do: start of a running container, stop of a stopped one (304)."""

    status = 304


class Unavailable(PalletError):
    status = 503


class Unsupported(PalletError):
    status = 501


class DataCorruption(PalletError):
    """Stored or received bytes do not match their digest or format."""

    status = 500


class CommandFailed(PalletError):
    """An external program (crun, conmon, netavark, mmdebstrap) failed."""

    status = 500

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        tail = stderr.strip().splitlines()[-3:] if stderr.strip() else []
        detail = "; ".join(tail) if tail else f"exit status {returncode}"
        super().__init__(f"{argv[0]}: {detail}")
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr


# The client edge's way back: one kind per status (the 500 kinds stay PalletError).
KINDS: dict[int, type[PalletError]] = {
    kind.status: kind
    for kind in (InvalidArgument, Unauthorized, Forbidden, NotFound, Conflict, NotModified,
                 Unsupported, Unavailable)
}


def from_status(status: int, message: str) -> PalletError:
    """The kind for an HTTP status (used by the client edge)."""
    kind = KINDS.get(status, PalletError)
    return kind(message)


def sent_by_client(what: str) -> SentByClient:
    """Bytes the caller uploaded (an image archive, a tar to import, a build context): a
    :class:`DataCorruption` found in them is the caller's :class:`InvalidArgument` (400)."""
    return SentByClient(what)


class SentByClient:
    """The context manager of :func:`sent_by_client` (a class: ``contextlib`` costs every
    CLI command its import)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        if isinstance(err, DataCorruption):
            raise InvalidArgument(f"{self.what}: {err.message}") from None
