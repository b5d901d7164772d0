"""Image commands: images, rmi, tag, history, save, load, import, pull,
image prune, image bootstrap."""

from __future__ import annotations

import sys

from pallet.cli import terminal
from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option
from pallet.cli.format.containers import ellipsis, go_time, truncate_id
from pallet.cli.format.images import IMAGE_HEADERS, IMAGES_TABLE, IMAGES_TABLE_DIGESTS, image_rows
from pallet.cli.format.table import Row, render_rows
from pallet.cli.progress import show
from pallet.cli.session import api
from pallet.cli.util import confirm, echo, now, parsed, write_archive
from pallet.errors import PalletError
from pallet.notation.filters import parse_filters
from pallet.notation.human import ago
from pallet.notation.sizes import human_size

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@command()
@option("-a", "--all", "all_", is_flag=True, help="Show all images")
@option("-q", "--quiet", is_flag=True, help="Only show image IDs")
@option("--digests", is_flag=True, help="Show digests")
@option("-f", "--filter", "filters", multiple=True, help="Filter output")
@option("--format", "fmt", default="", help="Format output using a Go template")
@option("--no-trunc", is_flag=True, help="Don't truncate output")
@argument("repository", required=False)
def images(
    all_: bool,
    quiet: bool,
    digests: bool,
    filters: tuple[str, ...],
    fmt: str,
    no_trunc: bool,
    repository: str | None,
) -> None:
    """List images."""
    flt = parsed(list(filters), parse_filters, "-f, --filter")
    if repository:
        flt.setdefault("reference", []).append(repository)
    items = api().images.list(all=all_, filters=flt, digests=digests)
    t = now()
    if quiet and not fmt:
        seen: list[str] = []
        for img in items:
            ident = str(img.get("Id", ""))
            ident = ident if no_trunc else truncate_id(ident)
            if ident not in seen:
                seen.append(ident)
        echo("".join(i + "\n" for i in seen), nl=False)
        return
    if not fmt or fmt == "table":
        fmt = IMAGES_TABLE_DIGESTS if digests else IMAGES_TABLE
    show_digests = digests or "Digest" in fmt
    rows = [r for img in items for r in image_rows(img, t, not no_trunc, show_digests)]
    echo(render_rows(fmt, rows, IMAGE_HEADERS), nl=False)


@command()
@option("-f", "--force", is_flag=True, help="Force removal of the image")
@option("--no-prune", is_flag=True, help="Do not delete untagged parents")
@argument("images", nargs=-1, required=True)
def rmi(force: bool, no_prune: bool, images: tuple[str, ...]) -> None:
    """Remove one or more images."""
    client = api()
    failed = False
    for ref in images:
        try:
            for item in client.images.remove(ref, force=force, noprune=no_prune):
                if item.Untagged:
                    echo(f"Untagged: {item.Untagged}")
                if item.Deleted:
                    echo(f"Deleted: {item.Deleted}")
        except PalletError as err:
            from pallet.cli.errors import describe

            echo(describe(err), err=True)
            failed = True
    if failed:
        raise StatusError(1)


@command()
@argument("source")
@argument("target")
def tag(source: str, target: str) -> None:
    """Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE."""
    from pallet.cli.format.images import split_tag

    repo, tag_ = split_tag(target)
    if "@" in target:
        raise StatusError(1, "refusing to create a tag with a digest reference")
    api().images.tag(source, repo, tag_ or "latest")


HISTORY_HEADERS = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}
HISTORY_TABLE = "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"


@command()
@option("-H", "--human/--no-human", default=True, help="Print sizes and dates human-readable")
@option("-q", "--quiet", is_flag=True, help="Only show image IDs")
@option("--no-trunc", is_flag=True, help="Don't truncate output")
@option("--format", "fmt", default="", help="Format output using a Go template")
@argument("image")
def history(human: bool, quiet: bool, no_trunc: bool, fmt: str, image: str) -> None:
    """Show the history of an image."""
    layers = api().images.history(image)
    t = now()
    rows = []
    for layer in layers:
        ident = str(layer.get("Id", ""))
        ident = (
            "<missing>"
            if ident in ("", "<missing>")
            else (ident if no_trunc else truncate_id(ident))
        )
        created = float(layer.get("Created") or 0)
        created_by = str(layer.get("CreatedBy", "")).replace("\t", " ")
        if not no_trunc:
            created_by = ellipsis(created_by, 45)
        size = int(layer.get("Size") or 0)
        fields = {
            "ID": ident,
            "CreatedSince": ago(created, t) if human else go_time(created),
            "CreatedAt": go_time(created),
            "CreatedBy": created_by,
            "Size": human_size(size) if human else str(size),
            "Comment": str(layer.get("Comment", "")),
        }
        rows.append(Row(fields))
    if quiet and not fmt:
        fmt = "{{.ID}}"
    elif not fmt or fmt == "table":
        fmt = HISTORY_TABLE
    echo(render_rows(fmt, rows, HISTORY_HEADERS), nl=False)


@command()
@option("-o", "--output", default="", help="Write to a file, instead of STDOUT")
@option("--platform", default="", hidden=True)
@argument("images", nargs=-1, required=True)
def save(output: str, platform: str, images: tuple[str, ...]) -> None:
    """Save one or more images to a tar archive (streamed to STDOUT by default)."""
    if not output and terminal.is_tty(sys.stdout):
        raise StatusError(1, "cowardly refusing to save to a terminal. Use the -o flag or redirect")
    resp = api().images.save(list(images))
    write_archive(output, resp.chunks())


@command()
@option("-i", "--input", "input_", default="", help="Read from tar archive file")
@option("-q", "--quiet", is_flag=True, help="Suppress the load output")
@option("--platform", default="", hidden=True)
def load(input_: str, quiet: bool, platform: str) -> None:
    """Load an image from a tar archive or STDIN."""
    fh: Any
    if input_:
        try:
            fh = open(input_, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise StatusError(1, f"open {input_}: {(err.strerror or str(err)).lower()}") from None
    else:
        if terminal.is_tty(sys.stdin):
            raise StatusError(1, "requested load from stdin, but stdin is empty")
        fh = sys.stdin.buffer
    try:
        resp = api().images.load(fh, quiet=quiet)
        show(resp.chunks(), _write)
    finally:
        if input_:
            fh.close()


@command("import")
@option("-c", "--change", multiple=True, help="Apply Dockerfile instruction to the image")
@option("-m", "--message", default="", help="Set commit message for imported image")
@option("--platform", default="", help="Set platform if server is multi-platform capable")
@argument("source")
@argument("reference", required=False)
def import_(
    change: tuple[str, ...], message: str, platform: str, source: str, reference: str | None
) -> None:
    """Import the contents from a tarball to create a filesystem image."""
    from pallet.cli.format.images import split_tag

    repo, tag_ = split_tag(reference) if reference else ("", "")
    data: Any = None
    src = "-"
    if source.startswith(("http://", "https://")):
        src = source
    elif source == "-":
        data = sys.stdin.buffer
    else:
        try:
            data = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise StatusError(1, f"open {source}: {(err.strerror or str(err)).lower()}") from None
    try:
        resp = api().images.import_image(
            data, src, repo or None, tag_ or None, list(change), message or None, platform or None
        )
        show(resp.chunks(), _write)
    finally:
        if data is not None and data is not sys.stdin.buffer:
            data.close()


@command()
@option(
    "-a", "--all", "all_", is_flag=True, help="Remove all unused images, not just dangling ones"
)
@option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
@option("--filter", "filters", multiple=True, help="Provide filter values")
def prune(all_: bool, force: bool, filters: tuple[str, ...]) -> None:
    """Remove unused images."""
    flt = parsed(list(filters), parse_filters, "--filter")
    flt["dangling"] = ["false" if all_ else "true"]
    warning = (
        "WARNING! This will remove all images without at least one container associated to them."
        if all_
        else "WARNING! This will remove all dangling images."
    )
    if not force and not confirm(warning):
        return
    report = api().images.prune(flt)
    deleted = report.ImagesDeleted or []
    if deleted:
        echo("Deleted Images:")
        for item in deleted:
            if item.Untagged:
                echo(f"untagged: {item.Untagged}")
            if item.Deleted:
                echo(f"deleted: {item.Deleted}")
        echo("")
    echo(f"Total reclaimed space: {human_size(report.SpaceReclaimed)}")


@command()
@option("-t", "--tag", "tag_", default="", help="Name the image (default NAME:latest)")
@option("-q", "--quiet", is_flag=True, help="Suppress progress output")
@argument("name")
def bootstrap(tag_: str, quiet: bool, name: str) -> None:
    """Build a base image locally without a registry (busybox, debian, ...)."""
    resp = api().pallet.bootstrap(name, tag_ or None)
    aux = show(resp.chunks(), _write, quiet=quiet)
    if quiet:
        for item in aux:
            if item.get("ID"):
                echo(item["ID"])
