"""``pallet.errors.sent_by_client``: corruption in uploaded bytes is the caller's 400."""

from __future__ import annotations

import pytest

from pallet.errors import Conflict, DataCorruption, InvalidArgument, sent_by_client


def test_corruption_inside_becomes_invalid_argument() -> None:
    with pytest.raises(InvalidArgument) as caught, sent_by_client("invalid archive"):
        raise DataCorruption("unexpected end of tar")
    assert caught.value.message == "invalid archive: unexpected end of tar"
    assert caught.value.__suppress_context__


def test_other_errors_and_success_pass_through() -> None:
    with pytest.raises(Conflict), sent_by_client("invalid archive"):
        raise Conflict("busy")
    with sent_by_client("invalid archive") as entered:
        done = True
    assert entered is None and done
