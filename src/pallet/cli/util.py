"""Small helpers shared by commands: text and bytes out, multi-object loops, options."""

from __future__ import annotations

import sys
import time

from pallet.cli.errors import StatusError, describe
from pallet.cli.flagerrors import UsageError
from pallet.errors import InvalidArgument, PalletError

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any


def echo(message: object = "", nl: bool = True, err: bool = False) -> None:
    """Write ``message`` (and a newline) to stdout or stderr, then flush."""
    stream = sys.stderr if err else sys.stdout
    text = message if isinstance(message, str) else str(message)
    stream.write(text + "\n" if nl else text)
    stream.flush()


def now() -> float:
    return time.time()


def out_bytes(data: bytes) -> None:
    stream = sys.stdout.buffer
    stream.write(data)
    stream.flush()


def err_bytes(data: bytes) -> None:
    stream = sys.stderr.buffer
    stream.write(data)
    stream.flush()


PARALLEL = 50  # the docker CLI's limit for stop, kill, rm, pause, ...


def for_each(refs: Iterable[str], action: Callable[[str], Any], show: bool = True,
             parallel: bool = False) -> None:
    """Run ``action`` on each ref like docker does: print the ref on success,
    the error on failure, and exit 1 at the end if anything failed. With ``parallel``
    the actions run at once (``stop a b c`` takes the longest stop, not their sum); the
    results are still printed in the order of the refs."""
    import functools

    refs = list(refs)
    if parallel and len(refs) > 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=min(PARALLEL, len(refs)))
        futures = [pool.submit(action, ref) for ref in refs]
        pool.shutdown(wait=False)
        outcomes: Iterable[Callable[[], Any]] = (f.result for f in futures)
    else:
        outcomes = (functools.partial(action, ref) for ref in refs)
    failed = False
    for ref, outcome in zip(refs, outcomes, strict=True):
        try:
            outcome()
        except PalletError as err:
            failed = True
            echo(describe(err), err=True)
            continue
        if show:
            echo(ref)
    if failed:
        raise StatusError(1)


def parsed(value: Any, fn: Callable[[Any], Any], flag: str) -> Any:
    """Apply a notation parser; bad values become docker-style usage errors."""
    try:
        return fn(value)
    except InvalidArgument as err:
        raise UsageError(f'invalid argument "{value}" for "{flag}" flag: {err}') from None


def confirm(message: str) -> bool:
    echo(f"{message}\nAre you sure you want to continue? [y/N] ", nl=False)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def write_archive(output: str, chunks: Iterable[bytes]) -> None:
    """``-o FILE`` of save/export: written whole or not at all; STDOUT when empty.

    The file gets the mode a plain create would (the umask's), not mkstemp's 0600.
    """
    if not output:
        stream = sys.stdout.buffer
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        return
    import os
    import tempfile

    directory = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(prefix=".pallet-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
