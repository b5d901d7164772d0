"""Compose unit tests keep the loader's caches (valid documents, loaded projects) in a temp
directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _compose_cache(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))

