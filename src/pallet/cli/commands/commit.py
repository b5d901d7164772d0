"""A container's filesystem: commit (to an image), diff (its changes), export (a tar)."""

from __future__ import annotations

import sys

from pallet.cli import terminal
from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option
from pallet.cli.session import api
from pallet.cli.util import echo, write_archive

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.api.responses import FilesystemChange

KINDS = {0: "C", 1: "A", 2: "D"}


def diff_lines(changes: list[FilesystemChange]) -> list[str]:
    """docker's ``diff`` output: ``C /etc``, ``A /x``, ``D /y``."""
    return [f"{KINDS.get(c.Kind, '?')} {c.Path}" for c in changes]


@command()
@option("-a", "--author", default="",
        help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
@option("-c", "--change", multiple=True, help="Apply Dockerfile instruction to the created image")
@option("-m", "--message", default="", help="Commit message")
@option("-p", "--pause", is_flag=True, default=True,
        help="Pause container during commit")
@argument("container")
@argument("reference", required=False, metavar="[REPOSITORY[:TAG]]")
def commit(author: str, change: tuple[str, ...], message: str, pause: bool, container: str,
           reference: str | None) -> None:
    """Create a new image from a container's changes."""
    doc = api().containers.commit(container, repo=reference, author=author, comment=message,
                                  changes=list(change), pause=pause)
    echo(doc.Id)


@command()
@argument("container")
def diff(container: str) -> None:
    """Inspect changes to files or directories on a container's filesystem."""
    for line in diff_lines(api().containers.changes(container)):
        echo(line)


@command()
@option("-o", "--output", default="", help="Write to a file, instead of STDOUT")
@argument("container")
def export(output: str, container: str) -> None:
    """Export a container's filesystem as a tar archive."""
    if not output and terminal.is_tty(sys.stdout):
        raise StatusError(1, "cowardly refusing to save to a terminal. "
                             "Use the -o flag or redirect")
    resp = api().containers.export(container)
    write_archive(output, resp.chunks())
