"""PipedReader: the uncompressed stream, its diff_id hashed on a thread of its own."""

from __future__ import annotations

import gzip
import hashlib
import io

from pallet.oci.layerpipe import PipedReader
from pallet.oci.layerstream import ThreadedHash

DATA = bytes(range(256)) * 9000  # a little over 2 MiB: several chunks


def test_reads_the_uncompressed_stream_and_hashes_all_of_it() -> None:
    r = PipedReader(io.BytesIO(gzip.compress(DATA)), chunk=64 << 10)
    try:
        head = r.read(1000) + r.read(24)
        whole = r.drain()
    finally:
        r.close()
    assert head == DATA[:1024]
    assert (whole.digest.hex, whole.size) == (hashlib.sha256(DATA).hexdigest(), len(DATA))


def test_closing_early_stops_both_threads() -> None:
    r = PipedReader(io.BytesIO(DATA), chunk=4096)
    first = r.read(10)
    assert first and DATA.startswith(first)
    r.close()  # returns although the reader had more to hand over
    assert not r._thread.is_alive()
    assert r._hash._thread is None  # the hash thread was joined too


def test_threaded_hash_counts_what_it_was_given() -> None:
    h = ThreadedHash(depth=2)
    for i in range(0, len(DATA), 5000):
        h.update(DATA[i:i + 5000])
    h.finish()
    h.finish()  # idempotent
    assert (h.digest.hex, h.size) == (hashlib.sha256(DATA).hexdigest(), len(DATA))
