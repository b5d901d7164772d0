"""Secret detection by name and by value (PL112, PL207)."""

from __future__ import annotations

import pytest

from pallet.lint.secrets import why_secret


@pytest.mark.parametrize(("name", "value"), [
    ("DB_PASSWORD", "x"), ("API_KEY", None), ("GITHUB_TOKEN", ""), ("client_secret", "a"),
    ("AWS", "AKIAIOSFODNN7EXAMPLE"), ("KEY", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("SIGNING", "q8Zr2LwX9vKp4TnB7yHs3FdJ6mGc1AeU"),
])
def test_secret(name: str, value: str | None) -> None:
    assert why_secret(name, value)


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_PASSWORD_FILE", "/run/secrets/db_password"), ("NODE_ENV", "production"),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"), ("DEBUG", "false"),
    ("VERSION", "1.0.0"), ("KEYBOARD", "us"), ("DIGEST", "${IMAGE_DIGEST}"),
    ("CHECKSUM", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
])
def test_not_secret(name: str, value: str | None) -> None:
    assert not why_secret(name, value)
