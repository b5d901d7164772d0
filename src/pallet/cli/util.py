"""Small helpers shared by commands: stdout bytes, multi-object loops, options."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import click

from pallet.cli.errors import StatusError, describe
from pallet.errors import InvalidArgument, PalletError


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


def for_each(refs: Iterable[str], action: Callable[[str], Any], echo: bool = True) -> None:
    """Run ``action`` on each ref like docker does: print the ref on success,
    the error on failure, and exit 1 at the end if anything failed."""
    failed = False
    for ref in refs:
        try:
            action(ref)
        except PalletError as err:
            failed = True
            click.echo(describe(err), err=True)
            continue
        if echo:
            click.echo(ref)
    if failed:
        raise StatusError(1)


def parsed(value: Any, fn: Callable[[Any], Any], flag: str) -> Any:
    """Apply a notation parser; bad values become docker-style usage errors."""
    try:
        return fn(value)
    except InvalidArgument as err:
        raise click.UsageError(f'invalid argument "{value}" for "{flag}" flag: {err}') from None


def confirm(message: str) -> bool:
    click.echo(f"{message}\nAre you sure you want to continue? [y/N] ", nl=False)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")
