"""``docker logs``: the stored log of a container, optionally followed."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pallet.engine.containers import ContainerService
from pallet.engine.records import Container
from pallet.logs.reader import follow_logs, read_logs
from pallet.notation.times import rfc3339_nano


async def log_stream(svc: ContainerService, c: Container, follow: bool, stdout: bool,
                     stderr: bool, since: float, until: float, timestamps: bool,
                     tail: int) -> AsyncIterator[tuple[int, bytes]]:
    path = svc.log_path(c.id)
    since_ns = int(since * 1e9) if since else 0
    until_ns = int(until * 1e9) if until else 0

    def gone() -> bool:
        latest = svc.store.get(c.id)
        return latest is None or not latest.running

    if follow and not gone():
        records = follow_logs(path, since_ns=since_ns, until_ns=until_ns, tail=tail,
                              stdout=stdout, stderr=stderr, stop=gone)
        async for rec in records:
            yield rec.stream, _stamp(rec.time_ns, rec.data, timestamps)
        return
    for rec in read_logs(path, since_ns=since_ns, until_ns=until_ns, tail=tail,
                         stdout=stdout, stderr=stderr):
        yield rec.stream, _stamp(rec.time_ns, rec.data, timestamps)


def _stamp(time_ns: int, data: bytes, timestamps: bool) -> bytes:
    if not timestamps:
        return data
    return rfc3339_nano(time_ns).encode() + b" " + data
