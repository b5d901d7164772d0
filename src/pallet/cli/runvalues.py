"""Single ``run``/``create`` flag values read as the Engine API wants them (bytes,
nano-CPUs, restart policy, ulimits, devices, extra hosts, security options), and
the typed-flag checks built on them that reject bad text while the command line
is parsed, as docker's typed flags do.

The parsers of flags a plain ``run`` does not use (mounts, resources, sizes,
durations, signals) are imported where they are needed: they pull in
dataclasses, decimal, csv and signal, a few ms of every ``pallet run``."""

from __future__ import annotations

from pallet.errors import InvalidArgument

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def security_opts(values: list[str]) -> list[str]:
    """``--security-opt`` as sent: ``label:`` spelled ``label=``, a seccomp file inlined."""
    out = []
    for opt in values:
        if opt.startswith("label:"):
            opt = "label=" + opt[len("label:") :]
        key, eq, value = opt.partition("=")
        if key == "seccomp" and eq and value not in ("unconfined", "builtin"):
            import json  # json (re) only for a seccomp profile file

            try:
                with open(value, encoding="utf-8") as fh:
                    profile = json.load(fh)
            except (OSError, ValueError) as err:
                raise InvalidArgument(f"opening seccomp profile ({value}) failed: {err}") from None
            opt = "seccomp=" + json.dumps(profile, separators=(",", ":"))
        out.append(opt)
    return out


def extra_hosts(values: list[str]) -> list[str]:
    """``--add-host`` ``host=addr`` or ``host:addr`` as ``host:addr``."""
    out = []
    for value in values:
        host, sep, addr = value.partition("=")
        if not sep:
            host, sep, addr = value.partition(":")
        if not sep or not host or not addr:
            raise InvalidArgument(f"bad format for add-host: {value!r}")
        out.append(f"{host}:{addr}")
    return out


def devices(values: list[str]) -> list[dict[str, str]]:
    """``--device src[:dst][:perms]`` as HostConfig ``Devices``."""
    out = []
    for value in values:
        parts = value.split(":")
        src = parts[0]
        dst = parts[1] if len(parts) > 1 and parts[1].startswith("/") else src
        perms = parts[-1] if len(parts) > 1 and not parts[-1].startswith("/") else "rwm"
        out.append({"PathOnHost": src, "PathInContainer": dst, "CgroupPermissions": perms})
    return out


def restart_policy(text: str) -> dict[str, Any]:
    """``--restart`` as a ``RestartPolicy``."""
    if text in ("", "no"):  # the default
        return {"Name": "no", "MaximumRetryCount": 0}
    from pallet.notation.resources import parse_restart

    return parse_restart(text)


def memory_bytes(text: str) -> int:
    """``-m``/``--memory-*`` in bytes (0 when not given)."""
    if not text:
        return 0
    from pallet.notation.sizes import parse_memory

    return parse_memory(text)


def shm_bytes(text: str) -> int:
    """``--shm-size`` in bytes (0 when not given)."""
    if not text:
        return 0
    from pallet.notation.sizes import parse_size

    return parse_size(text)


def nano_cpus(text: str) -> int:
    """``--cpus`` in nano-CPUs (0 when not given)."""
    if not text:
        return 0
    from pallet.notation.resources import parse_cpus

    return parse_cpus(text)


def ulimits(values: list[str]) -> list[dict[str, Any]] | None:
    """``--ulimit`` values as HostConfig ``Ulimits`` (None when none)."""
    if not values:
        return None
    from pallet.notation.resources import parse_ulimit

    return [parse_ulimit(u) for u in values]


def _checked(parse: Callable[[str], object]) -> Callable[[str], str]:
    """A flag ``type`` that checks the text with ``parse`` while the command line is
    parsed (docker's typed flags: bytes, decimal, duration) and keeps the text."""

    def check(text: str) -> str:
        try:
            parse(text)
        except InvalidArgument as err:
            raise ValueError(err.message) from None
        return text

    return check


def _stream(text: str) -> None:
    if text.lower() not in ("stdin", "stdout", "stderr"):
        raise InvalidArgument("valid streams are STDIN, STDOUT and STDERR")


def _duration(text: str) -> None:
    if not text:
        return
    from pallet.notation.durations import parse_duration

    if parse_duration(text) < 0:
        raise InvalidArgument("duration cannot be negative")


BYTES = _checked(memory_bytes)  # -m, --memory-swap (-1), --memory-reservation
SIZE = _checked(shm_bytes)  # --shm-size
DECIMAL = _checked(nano_cpus)  # --cpus
DURATION = _checked(_duration)  # --health-*
STREAM = _checked(_stream)  # -a, --attach
