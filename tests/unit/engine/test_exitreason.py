"""Exit codes explained as the guide's table says them, from what the runtime reported."""

from __future__ import annotations

from pallet.engine.exitreason import exit_reason


def test_137_is_oom_only_when_the_runtime_saw_the_oom_kill() -> None:
    assert exit_reason(137, oom_killed=True).startswith("OOMKilled:")
    plain = exit_reason(137, oom_killed=False)
    assert plain.startswith("SIGKILL:") and "not out of memory" in plain


def test_signals_and_statuses() -> None:
    assert exit_reason(139, False).startswith("SIGSEGV: segmentation fault")
    assert exit_reason(143, False).startswith("SIGTERM: stopped gracefully")
    assert exit_reason(255, False).startswith("exit status out of range")
    assert exit_reason(0, False) == "exited successfully"
    assert exit_reason(3, False).startswith("exited with status 3")
    assert exit_reason(128 + 10, False).startswith("SIGUSR1:")
