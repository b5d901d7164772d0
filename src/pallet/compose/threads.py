"""Running calls at once on threads, for compose's engine requests.

``concurrent.futures`` would do, but it imports ``logging`` (10-20 ms before a command
does anything, more than a whole ``up`` of a small project spends in its own code), so
compose uses these few lines instead: :func:`gather` runs calls at once and returns
their results in order, :func:`background` starts one call and hands back a
:class:`Task` to collect it, :func:`completions` runs calls and yields each one's index
and outcome as it finishes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Task(Generic[T]):
    """One call on its own (daemon) thread."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._call = call
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as err:
            self._error = err

    def result(self) -> T:
        """The call's value once it returned (its exception raised here)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def background(call: Callable[[], T]) -> Task[T]:
    return Task(call)


def gather(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Every call at once; their values in order, or the first failure raised once
    all have ended."""
    tasks = [Task(c) for c in calls]
    errors: list[BaseException] = []
    values: list[T] = []
    for t in tasks:
        try:
            values.append(t.result())
        except BaseException as err:
            errors.append(err)
    if errors:
        raise errors[0]
    return values


def completions(calls: Sequence[Callable[[], T]]
                ) -> Iterator[tuple[int, T | None, BaseException | None]]:
    """Run every call at once; yield ``(index, value, error)`` as each one ends."""
    done: queue.SimpleQueue[tuple[int, T | None, BaseException | None]] = queue.SimpleQueue()

    def run(i: int, call: Callable[[], T]) -> None:
        try:
            done.put((i, call(), None))
        except BaseException as err:
            done.put((i, None, err))

    for i, call in enumerate(calls):
        threading.Thread(target=run, args=(i, call), daemon=True).start()
    for _ in calls:
        yield done.get()
