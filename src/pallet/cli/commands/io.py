"""Streams to and from containers: logs, attach, exec, start -a."""

from __future__ import annotations

import sys

from pallet.cli import terminal
from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option
from pallet.cli.session import api
from pallet.cli.util import err_bytes, now, out_bytes, parsed
from pallet.client import Client
from pallet.client.hijack import Hijacked, pump
from pallet.client.streams import copy_frames
from pallet.notation.keyvalue import parse_env, read_env_file

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def stream_session(
    client: Client,
    conn: Hijacked,
    ident: str,
    *,
    stdin: bool,
    tty: bool,
    resize: Callable[[int, int], None] | None,
    sig_proxy: bool = False,
) -> None:
    """Run an attached session: raw terminal for -it, resize, signal proxy, pump.
    Without ``-t`` or a signal proxy there is no terminal mode to set up, and
    ``pallet.cli.termmodes`` (contextlib, signal) is not loaded."""
    try:
        if not (tty or sig_proxy):
            pump(conn, sys.stdin.buffer if stdin else None, out_bytes, err_bytes, tty)
            return
        import contextlib

        from pallet.cli import termmodes

        with contextlib.ExitStack() as stack:
            stack.enter_context(termmodes.raw_mode(tty and stdin))
            if tty and resize is not None and terminal.is_tty(sys.stdout):
                stack.enter_context(termmodes.on_resize(resize))
            # client.containers is loaded only when a signal is forwarded
            stack.enter_context(termmodes.proxy_signals(
                sig_proxy, lambda sig: client.containers.kill(ident, sig)))
            pump(conn, sys.stdin.buffer if stdin else None, out_bytes, err_bytes, tty)
    finally:
        conn.close()


def start_attached(ref: str, interactive: bool) -> None:
    """``start -a [-i]``: attach, start, stream, exit with the container's code."""
    client = api()
    ctrs = client.containers
    info = ctrs.inspect(ref)
    tty = bool(info["Config"].get("Tty"))
    stdin = interactive and bool(info["Config"].get("OpenStdin"))
    ident = str(info["Id"])
    conn = ctrs.attach(ident, stdin, True, True)
    exited = ctrs.wait(ident, "next-exit")
    ctrs.start(ident)
    stream_session(client, conn, ident, stdin=stdin, tty=tty,
                   resize=lambda h, w: ctrs.resize(ident, h, w), sig_proxy=not tty)  # fmt: skip
    code = exited.result().StatusCode
    if code:
        raise StatusError(code)


@command()
@option("-f", "--follow", is_flag=True, help="Follow log output")
@option("--tail", "-n", default="all", help="Number of lines to show from the end")
@option("-t", "--timestamps", is_flag=True, help="Show timestamps")
@option("--since", default="", help="Show logs since timestamp or relative (e.g. 42m)")
@option("--until", default="", help="Show logs before a timestamp or relative")
@option("--details", is_flag=True, help="Show extra details provided to logs")
@argument("container")
def logs(
    follow: bool, tail: str, timestamps: bool, since: str, until: str, details: bool, container: str
) -> None:
    """Fetch the logs of a container."""
    from pallet.notation.times import parse_timestamp  # datetime: not on the run path

    t = now()
    since_q = parsed(since, lambda v: parse_timestamp(v, t), "--since") if since else None
    until_q = parsed(until, lambda v: parse_timestamp(v, t), "--until") if until else None
    ctrs = api().containers
    info = ctrs.inspect(container)
    tty = bool(info["Config"].get("Tty"))
    resp = ctrs.logs(str(info.get("Id", container)), follow=follow, since=since_q,
                     until=until_q, timestamps=timestamps, tail=tail, details=details)
    try:
        copy_frames(resp.chunks(), out_bytes, err_bytes, tty=tty)
    except KeyboardInterrupt:
        resp.close()


@command()
@option("--no-stdin", is_flag=True, help="Do not attach STDIN")
@option("--sig-proxy/--no-sig-proxy", default=True, help="Proxy all received signals")
@option("--detach-keys", default="", hidden=True)
@argument("container")
def attach(no_stdin: bool, sig_proxy: bool, detach_keys: str, container: str) -> None:
    """Attach local standard input, output, and error streams to a running container."""
    client = api()
    ctrs = client.containers
    info = ctrs.inspect(container)
    state = info.get("State") or {}
    if not state.get("Running"):
        raise StatusError(1, "You cannot attach to a stopped container, start it first")
    if state.get("Paused"):
        raise StatusError(1, "You cannot attach to a paused container, unpause it first")
    tty = bool(info["Config"].get("Tty"))
    stdin = not no_stdin and bool(info["Config"].get("OpenStdin"))
    if stdin and tty and not terminal.is_tty(sys.stdin):
        raise StatusError(1, "the input device is not a TTY")
    ident = str(info["Id"])
    conn = ctrs.attach(ident, stdin, True, True)
    stream_session(client, conn, ident, stdin=stdin, tty=tty,
                   resize=lambda h, w: ctrs.resize(ident, h, w),
                   sig_proxy=sig_proxy and not tty)  # fmt: skip
    # The output ends as the process exits; the wait returns once the daemon recorded it.
    code = ctrs.wait(ident).result().StatusCode
    if code:
        raise StatusError(code)


@command("exec", interspersed=False)
@option("-d", "--detach", is_flag=True, help="Detached mode: run command in the background")
@option("-i", "--interactive", is_flag=True, help="Keep STDIN open even if not attached")
@option("-t", "--tty", is_flag=True, help="Allocate a pseudo-TTY")
@option("-e", "--env", multiple=True, help="Set environment variables")
@option("--env-file", multiple=True, help="Read in a file of environment variables")
@option("-u", "--user", default="", help="Username or UID")
@option("-w", "--workdir", default="", help="Working directory inside the container")
@option("--privileged", is_flag=True, help="Give extended privileges to the command")
@option("--detach-keys", default="", hidden=True)
@argument("container")
@argument("command", nargs=-1, required=True, metavar="COMMAND [ARG...]")
def exec_(
    detach: bool,
    interactive: bool,
    tty: bool,
    env: tuple[str, ...],
    env_file: tuple[str, ...],
    user: str,
    workdir: str,
    privileged: bool,
    detach_keys: str,
    container: str,
    command: tuple[str, ...],
) -> None:
    """Execute a command in a running container."""
    env_list: list[str] = []
    for path in env_file:
        env_list.extend(parsed(path, read_env_file, "--env-file"))
    env_list.extend(parsed(e, parse_env, "-e, --env") for e in env)
    if interactive and tty and not detach and not terminal.is_tty(sys.stdin):
        raise StatusError(1, "the input device is not a TTY")
    console = terminal.size() if tty else None
    config: dict[str, Any] = {
        "User": user,
        "Privileged": privileged,
        "Tty": tty,
        "ConsoleSize": list(console) if console else None,
        "AttachStdin": interactive and not detach,
        "AttachStderr": not detach,
        "AttachStdout": not detach,
        "Detach": detach,
        "DetachKeys": detach_keys,
        "Env": env_list or None,
        "WorkingDir": workdir,
        "Cmd": list(command),
    }
    client = api()
    exec_id = client.exec.create(container, config)
    if detach:
        client.exec.start_detached(exec_id, tty)
        return
    conn = client.exec.start(exec_id, tty, list(console) if console else None)
    stream_session(client, conn, container, stdin=interactive, tty=tty,
                   resize=lambda h, w: client.exec.resize(exec_id, h, w))  # fmt: skip
    code = client.exec.inspect(exec_id).ExitCode or 0
    if code:
        raise StatusError(code)
