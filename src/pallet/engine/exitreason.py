"""What a container's exit code means, as the guide's exit-code table says it, from what
the runtime reported: conmon's exit file (``128 + n`` for a process killed by signal
``n``) and its ``oom`` file (the kernel's OOM killer ended the container).

137 is SIGKILL: killed at the memory limit when conmon saw the OOM kill, else by a kill
or a stop's timeout; 139 is a segmentation fault; 143 SIGTERM, a graceful stop; 255 an
exit status out of range (``exit(-1)``, or no status reported). The explanation is
``State.ExitReason`` in inspect (beside Docker's fields, which keep their format) and
the ``exitReason`` attribute of the ``die`` event.
"""

from __future__ import annotations

import signal

_SIGNALS = {
    signal.SIGKILL: "killed by signal 9 (a kill or a stop's timeout), not out of memory",
    signal.SIGSEGV: "segmentation fault (signal 11): an application bug, check a core dump",
    signal.SIGTERM: "stopped gracefully by signal 15",
    signal.SIGINT: "interrupted by signal 2",
    signal.SIGABRT: "aborted by signal 6",
}


def exit_reason(code: int, oom_killed: bool) -> str:
    """One line naming the cause of exit ``code`` (``OOMKilled: ...``, ``SIGSEGV: ...``)."""
    if oom_killed:
        return "OOMKilled: SIGKILL by the kernel's OOM killer at the memory limit"
    if code == 0:
        return "exited successfully"
    if 128 < code < 128 + signal.NSIG:
        try:
            sig = signal.Signals(code - 128)
        except ValueError:
            return f"killed by signal {code - 128}"
        return f"{sig.name}: " + _SIGNALS.get(sig, f"killed by signal {sig.value}")
    if code == 255:
        return "exit status out of range (exit(-1), or no status reported): check the entrypoint"
    if code == 1:
        return "exited with status 1: a general application error, check its logs"
    return f"exited with status {code}: an application error, check its logs"
