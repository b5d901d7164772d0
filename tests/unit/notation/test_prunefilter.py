"""Prune filters: keys and ``until`` are checked when the request arrives; the predicate
keeps what is newer than ``until`` or does not match the labels."""

from __future__ import annotations

import time

import pytest

from pallet.errors import InvalidArgument
from pallet.notation.prunefilter import prune_filter


def test_bad_until_and_unknown_keys_refused() -> None:
    with pytest.raises(InvalidArgument, match='failed to parse value as time or duration: '
                                              '"garbage"'):
        prune_filter({"until": ["garbage"]})
    with pytest.raises(InvalidArgument, match="invalid filter 'dangling'"):
        prune_filter({"dangling": ["true"]})
    prune_filter({"dangling": ["true"]}, ("dangling",))


def test_until_and_labels() -> None:
    now = time.time()
    old, young = now - 7200, now - 60
    p = prune_filter({"until": ["1h"]})
    assert p(old, {}) and not p(young, {})
    p = prune_filter({"label": ["tier=web"], "label!": ["keep"]})
    assert p(young, {"tier": "web"})
    assert not p(young, {"tier": "db"}) and not p(young, {"tier": "web", "keep": ""})
    assert prune_filter({"until": [str(int(now))]})(old, {})
