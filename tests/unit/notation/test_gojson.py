"""Request bodies read with Go's encoding/json rules (case-insensitive keys, ignorable nulls)."""

from __future__ import annotations

import msgspec
import pytest

from pallet.api.models import ContainerConfig, CreateRequest, ExecConfig, decode


def test_null_durations_take_the_defaults() -> None:
    body = (b'{"Image": "busybox", "Healthcheck": {"Test": ["CMD", "true"], "Interval": null,'
            b' "Timeout": null, "Retries": null, "StartPeriod": null}}')
    req = decode(body, CreateRequest)
    assert req.Healthcheck is not None
    assert (req.Healthcheck.Test, req.Healthcheck.Interval, req.Healthcheck.StartPeriod) == (
        ["CMD", "true"], 0, 0)


def test_keys_match_whatever_their_case_and_exact_keys_win() -> None:
    cfg = decode(b'{"Cmd": ["cat"], "detachKeys": "ctrl-x", "tty": true}', ExecConfig)
    assert (cfg.DetachKeys, cfg.Tty) == ("ctrl-x", True)
    assert decode(b'{"tty": false, "Tty": true}', ExecConfig).Tty is True
    assert decode(b'{"Tty": true, "tty": false}', ExecConfig).Tty is True


def test_nullable_fields_keep_null_and_bad_values_still_fail() -> None:
    assert decode(b"null", ContainerConfig | None) is None  # type: ignore[arg-type]
    assert decode(b"", ExecConfig) == ExecConfig()
    with pytest.raises(msgspec.ValidationError, match=r"\$\.Tty"):
        decode(b'{"Tty": "yes"}', ExecConfig)
