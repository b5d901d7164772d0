"""``run`` and ``create``: flags -> create body -> (pull on 404) -> attach ->
wait -> start, with docker's exit codes (125/126/127 or the container's)."""

from __future__ import annotations

import os
import sys

from pallet.cli.commands.runoptions import container_options, flags_from
from pallet.cli.errors import StatusError, describe, start_failure_code
from pallet.cli.flags import argument, command
from pallet.cli.runconfig import build_create_body
from pallet.cli.runflags import RunFlags
from pallet.cli.session import api
from pallet.cli.util import echo
from pallet.client import Client
from pallet.errors import InvalidArgument, NotFound, PalletError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from pallet.client.containers import PendingWait, WaitStatus

WAIT_HEADERS_TIMEOUT = 1.0


def split_ref(image: str) -> tuple[str, str]:
    """(name, tag) for ``POST /images/create``; a digest stays in the name."""
    if "@" in image:
        return image, ""
    slash, colon = image.rfind("/"), image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def _pull(client: Client, image: str, quiet: bool) -> None:
    from pallet.cli.commands.credstore import header_for
    from pallet.cli.progress import show

    name, tag = split_ref(image)
    resp = client.registry.pull(name, tag or None, auth=header_for(image))
    show(resp.chunks(), lambda s: (sys.stderr.write(s), sys.stderr.flush()), quiet=quiet)


def create_container(
    client: Client, body: dict[str, Any], name: str | None, pull: str, quiet: bool
) -> str:
    """Create, pulling the image on 404 like docker; returns the ID."""
    image = str(body["Image"])
    if pull == "always":
        _pull(client, image, quiet)
    try:
        result = client.containers.create(body, name)
    except NotFound as err:
        if pull == "never" or "image" not in err.message.lower():
            raise
        display = image if (":" in image.rsplit("/", 1)[-1] or "@" in image) else image + ":latest"
        sys.stderr.write(f"Unable to find image '{display}' locally\n")
        sys.stderr.flush()
        _pull(client, image, quiet)
        result = client.containers.create(body, name)
    for warning in result.Warnings:
        sys.stderr.write(f"WARNING: {warning}\n")
    return result.Id


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
) -> tuple[Client, str]:
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


def _send_wait(client: Client, ident: str, condition: str) -> Callable[[], WaitStatus]:
    """Register the wait before start on its own connection (like docker)."""
    import threading  # attached runs only: ``run -d`` and ``create`` need no thread

    holder: dict[str, Any] = {}
    ready = threading.Event()

    def run() -> None:
        try:
            holder["wait"] = client.containers.wait(ident, condition)
        except BaseException as err:
            holder["error"] = err
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="wait", daemon=True)
    thread.start()
    ready.wait(WAIT_HEADERS_TIMEOUT)

    def result() -> WaitStatus:
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
            conn = client.containers.attach(
                ident, body["AttachStdin"], body["AttachStdout"], body["AttachStderr"]
            )
        except PalletError as err:
            raise StatusError(125, f"pallet: {describe(err)}") from None
    wait_result = None
    if not flags.detach:
        wait_result = _send_wait(client, ident, "removed" if flags.rm else "next-exit")
    try:
        client.containers.start(ident)
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
            resize=lambda h, w: client.containers.resize(ident, h, w),
            sig_proxy=params["sig_proxy"] and not flags.tty,
        )
    assert wait_result is not None
    try:
        status = wait_result()
    except PalletError as err:
        raise StatusError(125, f"pallet: {describe(err)}") from None
    if status.Error:
        echo(f"pallet: {status.Error}", err=True)
    if status.StatusCode:
        raise StatusError(status.StatusCode)
