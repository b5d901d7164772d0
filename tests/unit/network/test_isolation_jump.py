"""pallet's repair of netavark 1.4's lost isolation jump, over fake iptables tools on PATH:
one read of the filter table per family, ip6tables only when asked, an insert only when
isolation rules remain and FORWARD lost the jump."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pallet.network.netavark import restore_isolation_jump

ISOLATED = "-P FORWARD ACCEPT\n-A NETAVARK_ISOLATION_1 -i pl-a ! -o pl-a -j NETAVARK_ISOLATION_2\n"
JUMP = "-A FORWARD -j NETAVARK_ISOLATION_1\n"


def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables: dict[str, str]) -> Path:
    """iptables and ip6tables that answer ``-S`` with ``tables[tool]`` and log every call."""
    calls = tmp_path / "calls"
    for tool, listing in tables.items():
        (tmp_path / f"{tool}.out").write_text(listing)
        script = tmp_path / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\n'
                          f'[ "$1" = "-S" ] && cat {tmp_path}/{tool}.out\nexit 0\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_the_jump_goes_back_while_isolation_rules_remain(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_tools(tmp_path, monkeypatch, {"iptables": ISOLATED, "ip6tables": ISOLATED})
    assert restore_isolation_jump(v6=False)
    assert calls.read_text().splitlines() == [
        "iptables -S", "iptables -I FORWARD 1 -j NETAVARK_ISOLATION_1"]


def test_nothing_to_do_when_the_jump_is_there_or_nothing_is_isolated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_tools(tmp_path, monkeypatch,
                       {"iptables": ISOLATED + JUMP, "ip6tables": "-P FORWARD ACCEPT\n"})
    assert not restore_isolation_jump(v6=True)
    assert calls.read_text().splitlines() == ["iptables -S", "ip6tables -S"]
