"""``run`` and ``create``: flags -> create body -> (pull on 404) -> attach ->
wait -> start, with docker's exit codes (125/126/127 or the container's)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from pallet.cli.errors import StatusError, describe, start_failure_code
from pallet.cli.flags import argument, command, option
from pallet.cli.runconfig import build_create_body
from pallet.cli.runflags import RunFlags
from pallet.cli.runvalues import BYTES, DECIMAL, DURATION, SIZE, STREAM
from pallet.cli.session import api
from pallet.cli.util import echo
from pallet.client.api import EngineAPI, PendingWait
from pallet.errors import InvalidArgument, NotFound, PalletError

WAIT_HEADERS_TIMEOUT = 1.0


def _opt(*decls: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(*decls, **kw)


def _dur(name: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(name, type=DURATION, metavar="duration", default="", help=help)


def _bytes(*decls: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(*decls, type=BYTES, metavar="bytes", default="", help=help)


def _multi(*decls: str, help: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(*decls, multiple=True, help=help)


CONTAINER_OPTIONS = [
    _opt("-d", "--detach", is_flag=True, help="Run container in background and print container ID"),
    _opt("--rm", is_flag=True, help="Automatically remove the container when it exits"),
    _opt("--name", default=None, help="Assign a name to the container"),
    _multi("-e", "--env", help="Set environment variables"),
    _multi("--env-file", help="Read in a file of environment variables"),
    _opt("-w", "--workdir", default="", help="Working directory inside the container"),
    _opt("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])"),
    _opt("-h", "--hostname", default="", help="Container host name"),
    _opt("--domainname", default="", help="Container NIS domain name"),
    _multi("-l", "--label", help="Set meta data on a container"),
    _multi("--label-file", help="Read in a line delimited file of labels"),
    _opt("--entrypoint", default=None, help="Overwrite the default ENTRYPOINT of the image"),
    _opt("-i", "--interactive", is_flag=True, help="Keep STDIN open even if not attached"),
    _opt("-t", "--tty", is_flag=True, help="Allocate a pseudo-TTY"),
    _opt("--init", is_flag=True, help="Run an init inside the container"),
    _opt("--runtime", default="", help="Runtime to use for this container"),
    _multi("-p", "--publish", help="Publish a container's port(s) to the host"),
    _opt("-P", "--publish-all", is_flag=True, help="Publish all exposed ports to random ports"),
    _multi("--expose", help="Expose a port or a range of ports"),
    _multi("-v", "--volume", help="Bind mount a volume"),
    _multi("--mount", help="Attach a filesystem mount to the container"),
    _multi("--tmpfs", help="Mount a tmpfs directory"),
    _multi("--volumes-from", help="Mount volumes from the specified container(s)"),
    _multi("--network", "--net", help="Connect a container to a network"),
    _multi("--network-alias", "--net-alias", help="Add network-scoped alias for the container"),
    _opt("--ip", default="", help="IPv4 address (e.g., 172.30.100.104)"),
    _opt("--ip6", default="", help="IPv6 address"),
    _opt("--mac-address", default="", help="Container MAC address"),
    _multi("--dns", help="Set custom DNS servers"),
    _multi("--dns-search", help="Set custom DNS search domains"),
    _multi("--dns-option", "--dns-opt", help="Set DNS options"),
    _multi("--add-host", help="Add a custom host-to-IP mapping (host:ip)"),
    _opt("--restart", default="no", help="Restart policy to apply when a container exits"),
    _opt("--health-cmd", default="", help="Command to run to check health"),
    _dur("--health-interval", help="Time between running the check"),
    _dur("--health-timeout", help="Maximum time to allow one check to run"),
    _opt("--health-retries", type=int, default=0, help="Consecutive failures needed"),
    _dur("--health-start-period", help="Start period for the container"),
    _dur("--health-start-interval", help="Time between checks during start"),
    _opt("--no-healthcheck", is_flag=True, help="Disable any container-specified HEALTHCHECK"),
    _bytes("-m", "--memory", help="Memory limit"),
    _bytes("--memory-swap", help="Swap limit equal to memory plus swap"),
    _bytes("--memory-reservation", help="Memory soft limit"),
    _opt("--memory-swappiness", type=int, default=-1, help="Tune container memory swappiness"),
    _opt("--cpus", type=DECIMAL, metavar="decimal", default="", help="Number of CPUs"),
    _opt("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)"),
    _opt("--cpu-period", type=int, default=0, help="Limit CPU CFS period"),
    _opt("--cpu-quota", type=int, default=0, help="Limit CPU CFS quota"),
    _opt("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)"),
    _opt("--cpuset-mems", default="", help="MEMs in which to allow execution (0-3, 0,1)"),
    _opt("--pids-limit", type=int, default=0, help="Tune container pids limit (-1 unlimited)"),
    _opt("--oom-kill-disable", is_flag=True, help="Disable OOM Killer"),
    _opt("--oom-score-adj", type=int, default=0, help="Tune host's OOM preferences"),
    _opt("--read-only", is_flag=True, help="Mount the container's root filesystem as read only"),
    _multi("--cap-add", help="Add Linux capabilities"),
    _multi("--cap-drop", help="Drop Linux capabilities"),
    _multi("--security-opt", help="Security Options"),
    _multi("--ulimit", help="Ulimit options"),
    _opt("--log-driver", default="", help="Logging driver for the container"),
    _multi("--log-opt", help="Log driver options"),
    _opt("--stop-signal", default="", help="Signal to stop the container"),
    _opt("--stop-timeout", type=int, default=None, help="Timeout (in seconds) to stop"),
    _opt("--privileged", is_flag=True, help="Give extended privileges to this container"),
    _opt("--shm-size", type=SIZE, metavar="bytes", default="", help="Size of /dev/shm"),
    _multi("--sysctl", help="Sysctl options"),
    _opt("-a", "--attach", multiple=True, type=STREAM, help="Attach to STDIN, STDOUT or STDERR"),
    _opt("--cidfile", default="", help="Write the container ID to the file"),
    _multi("--group-add", help="Add additional groups to join"),
    _multi("--device", help="Add a host device to the container"),
    _opt("--pid", default="", help="PID namespace to use"),
    _opt("--ipc", default="", help="IPC mode to use"),
    _opt("--uts", default="", help="UTS namespace to use"),
    _opt("--userns", default="", help="User namespace to use"),
    _opt("--cgroupns", default="", help="Cgroup namespace to use (host|private)"),
    _opt("--cgroup-parent", default="", help="Optional parent cgroup for the container"),
    _multi("--annotation", help="Add an annotation to the container"),
    _opt("--platform", default="", help="Set platform (ignored)"),
    _opt(
        "--pull", default="missing", help='Pull image before running ("always", "missing", "never")'
    ),
    _opt("--sig-proxy/--no-sig-proxy", default=True, help="Proxy received signals to the process"),
    _opt("--detach-keys", default="", help="Override the key sequence for detaching a container"),
    _opt("-q", "--quiet", is_flag=True, help="Suppress the pull output"),
]
_CLI_ONLY = {"platform", "pull", "sig_proxy", "detach_keys", "quiet"}


def container_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for declare in reversed(CONTAINER_OPTIONS):
        fn = declare(fn)
    return fn


def flags_from(params: dict[str, Any]) -> RunFlags:
    values: dict[str, Any] = {}
    for key, value in params.items():
        if key in _CLI_ONLY:
            continue
        values[key] = list(value) if isinstance(value, tuple) else value
    return RunFlags(**values)


def split_ref(image: str) -> tuple[str, str]:
    """(name, tag) for ``POST /images/create``; a digest stays in the name."""
    if "@" in image:
        return image, ""
    slash, colon = image.rfind("/"), image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def _pull(client: EngineAPI, image: str, quiet: bool) -> None:
    from pallet.cli.commands.credstore import header_for
    from pallet.cli.progress import show

    name, tag = split_ref(image)
    resp = client.pull(name, tag or None, auth=header_for(image))
    show(resp.chunks(), lambda s: (sys.stderr.write(s), sys.stderr.flush()), quiet=quiet)


def create_container(
    client: EngineAPI, body: dict[str, Any], name: str | None, pull: str, quiet: bool
) -> str:
    """Create, pulling the image on 404 like docker; returns the ID."""
    image = str(body["Image"])
    if pull == "always":
        _pull(client, image, quiet)
    try:
        result = client.create(body, name)
    except NotFound as err:
        if pull == "never" or "image" not in err.message.lower():
            raise
        display = image if (":" in image.rsplit("/", 1)[-1] or "@" in image) else image + ":latest"
        sys.stderr.write(f"Unable to find image '{display}' locally\n")
        sys.stderr.flush()
        _pull(client, image, quiet)
        result = client.create(body, name)
    for warning in result.get("Warnings") or []:
        sys.stderr.write(f"WARNING: {warning}\n")
    return str(result["Id"])


def with_help(message: str, verb: str) -> str:
    """docker's ``withHelp``: how ``run``/``create`` word a usage failure (exit 125)."""
    return f"pallet: {message}\n\nRun 'pallet {verb} --help' for more information"


def engine_error(message: str) -> str:
    """A failure of the engine (bad reference, create or start failed): one line naming it.

    docker 25+ appends its ``--help`` pointer here too; help cannot fix these, and a
    one-line error is what scripts and people read.
    """
    return f"pallet: {message}"


def _prepare(
    params: dict[str, Any], image: str, command: tuple[str, ...], for_run: bool
) -> tuple[RunFlags, dict[str, Any]]:
    from pallet.cli.terminal import size

    verb = "run" if for_run else "create"
    if params["pull"] not in ("always", "missing", "never"):
        raise StatusError(125, with_help(
            f"invalid pull option: '{params['pull']}': "
            'must be one of "always", "missing" or "never"', verb))
    flags = flags_from(params)
    console = size() if flags.tty else None
    try:
        body = build_create_body(flags, image, list(command), console=console, for_run=for_run)
    except InvalidArgument as err:
        raise StatusError(125, with_help(err.message, verb)) from None
    return flags, body


def _write_cidfile(path: str, verb: str) -> Callable[[str], None]:
    if not path:
        return lambda _ident: None
    if os.path.exists(path):
        raise StatusError(125, with_help(
            "container ID file found, make sure the other container isn't running "
            f"or delete {path}", verb))

    def write(ident: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(ident)

    return write


def _created(
    params: dict[str, Any], body: dict[str, Any], flags: RunFlags, verb: str
) -> tuple[EngineAPI, str]:
    client = api()
    write_cid = _write_cidfile(flags.cidfile, verb)
    try:
        ident = create_container(client, body, flags.name, params["pull"], params["quiet"])
    except PalletError as err:
        raise StatusError(125, engine_error(describe(err))) from None
    write_cid(ident)
    return client, ident


@command(interspersed=False)
@container_options
@argument("image")
@argument("command", nargs=-1, metavar="[COMMAND] [ARG...]")
def create(image: str, command: tuple[str, ...], **params: Any) -> None:
    """Create a new container."""
    flags, body = _prepare(params, image, command, for_run=False)
    _, ident = _created(params, body, flags, "create")
    echo(ident)


def _send_wait(client: EngineAPI, ident: str, condition: str) -> Callable[[], dict[str, Any]]:
    """Register the wait before start on its own connection (like docker)."""
    holder: dict[str, Any] = {}
    ready = threading.Event()

    def run() -> None:
        try:
            holder["wait"] = client.wait(ident, condition)
        except BaseException as err:
            holder["error"] = err
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="wait", daemon=True)
    thread.start()
    ready.wait(WAIT_HEADERS_TIMEOUT)

    def result() -> dict[str, Any]:
        thread.join()
        if "error" in holder:
            raise holder["error"]
        pending: PendingWait = holder["wait"]
        return pending.result()

    return result


@command(interspersed=False)
@container_options
@argument("image")
@argument("command", nargs=-1, metavar="[COMMAND] [ARG...]")
def run(image: str, command: tuple[str, ...], **params: Any) -> None:
    """Create and run a new container from an image."""
    from pallet.cli import terminal
    from pallet.cli.commands.io import stream_session

    flags, body = _prepare(params, image, command, for_run=True)
    if not flags.detach and body["AttachStdin"] and flags.tty and not terminal.is_tty(sys.stdin):
        raise StatusError(1, "the input device is not a TTY")
    client, ident = _created(params, body, flags, "run")

    attached = not flags.detach and (
        body["AttachStdin"] or body["AttachStdout"] or body["AttachStderr"]
    )
    conn = None
    if attached:
        try:
            conn = client.attach(
                ident, body["AttachStdin"], body["AttachStdout"], body["AttachStderr"]
            )
        except PalletError as err:
            raise StatusError(125, f"pallet: {describe(err)}") from None
    wait_result = None
    if not flags.detach:
        wait_result = _send_wait(client, ident, "removed" if flags.rm else "next-exit")
    try:
        client.start(ident)
    except PalletError as err:
        if conn is not None:
            conn.close()
        message = describe(err)
        if flags.rm and wait_result is not None:
            try:
                wait_result()
            except PalletError:
                pass
        raise StatusError(start_failure_code(message), engine_error(message)) from None
    if flags.detach:
        echo(ident)
        return
    if conn is not None:
        stream_session(
            client,
            conn,
            ident,
            stdin=body["AttachStdin"],
            tty=flags.tty,
            resize=lambda h, w: client.resize(ident, h, w),
            sig_proxy=params["sig_proxy"] and not flags.tty,
        )
    assert wait_result is not None
    try:
        status = wait_result()
    except PalletError as err:
        raise StatusError(125, f"pallet: {describe(err)}") from None
    error = (status.get("Error") or {}).get("Message") if status.get("Error") else None
    if error:
        echo(f"pallet: {error}", err=True)
    code = int(status.get("StatusCode", 0))
    if code:
        raise StatusError(code)
