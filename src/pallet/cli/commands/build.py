"""``pallet build``: stream a context tar (``.dockerignore`` honoured) to ``POST /build``.

The tar (``pallet.cli.buildctx``) goes out as a chunked body while it is written, each
file read once. Output is the daemon's classic-builder stream; ``-q`` prints only the
image ID. Secrets (``--secret id=x,src=FILE`` or ``id=x,env=VAR``) travel in the
``X-Pallet-Build-Secrets`` header, never in the context. ``pallet build -`` reads the
context from stdin: an archive as it is, or a Dockerfile alone (an empty context).
"""

from __future__ import annotations

import os
import sys
import tempfile

from pallet.cli.buildctx import Context, ContextError
from pallet.cli.errors import StatusError
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import argument, command, option
from pallet.cli.progress import show
from pallet.cli.session import api
from pallet.cli.util import echo, parsed
from pallet.oci.reference import build_tag

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

    from pallet.client.http import Body


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _secrets(specs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in specs:
        fields: dict[str, str] = {}
        for part in spec.split(","):
            k, _, v = part.partition("=")
            fields[k.strip()] = v
        ident = fields.get("id", "")
        if not ident:
            raise UsageError(f'invalid argument "{spec}" for "--secret" flag: no id=')
        if fields.get("env"):
            value = os.environ.get(fields["env"])
            if value is None:
                raise StatusError(1, f"secret {ident}: environment variable "
                                     f"{fields['env']} is not set")
            data = value.encode()
        else:
            src = fields.get("src") or fields.get("source") or ""
            if not src and ident in os.environ:
                data = os.environ[ident].encode()
            else:
                try:
                    with open(src or ident, "rb") as f:
                        data = f.read()
                except OSError as e:
                    raise StatusError(1, f"secret {ident}: {e.strerror or e}") from None
        import base64

        out[ident] = base64.b64encode(data).decode()
    return out


def _kv(items: tuple[str, ...], from_env: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        k, eq, v = item.partition("=")
        if eq:
            out[k] = v
        elif from_env:
            out[k] = os.environ.get(k)
        else:
            out[k] = ""
    return out


def _lint_first(context: str, dockerfile: str, text: bytes | None) -> None:
    """``--check``: the findings on stderr; exit 1 before the context is sent if the lint
    fails at the configured threshold (``.pallet-lint.yaml``, default info)."""
    from pallet.cli.lintrun import dockerignore_text
    from pallet.errors import InvalidArgument
    from pallet.lint.model import LintRequest
    from pallet.lint.output import text as render
    from pallet.lint.policy import load_config
    from pallet.lint.request import lint_request

    try:
        if text is None:
            with open(dockerfile, "rb") as f:
                text = f.read()
        config = load_config(None, [dockerfile])
        req = LintRequest(dockerfile=text.decode(), name=dockerfile,
                          dockerignore=dockerignore_text(dockerfile, context),
                          failure_threshold=config.failure_threshold)
        report = lint_request(req, config)
    except (OSError, UnicodeDecodeError, InvalidArgument) as e:
        raise StatusError(1, f"pallet build --check: {e}") from None
    sys.stderr.write(render(report))
    if report.failed:
        raise StatusError(1, f"pallet build --check: {len(report.findings)} finding(s) at or "
                          f"above {report.failure_threshold}; not building")


@command()
@option("-t", "--tag", "tags", multiple=True, help="Name and optionally a tag")
@option("-f", "--file", "file_", default="", help="Name of the Dockerfile")
@option("--build-arg", "build_args", multiple=True, help="Set build-time variables")
@option("--label", "labels", multiple=True, help="Set metadata for an image")
@option("--target", default="", help="Set the target build stage to build")
@option("--no-cache", is_flag=True, help="Do not use cache when building the image")
@option("-q", "--quiet", is_flag=True, help="Suppress the build output, print the image ID")
@option("--secret", "secrets", multiple=True, help="Secret: id=NAME,src=FILE|env=VAR")
@option("--network", default="", help="Networking mode for the RUN instructions")
@option("--iidfile", default="", help="Write the image ID to the file")
@option("--progress", default="auto", help="Output type: auto, plain, tty")
@option("--pull", is_flag=True, help="Always attempt to pull a newer base image")
@option("--platform", default="", help="Set platform (the host's only)")
@option("--rm/--no-rm", default=True, hidden=True)
@option("--force-rm", is_flag=True, hidden=True)
@option("--check", is_flag=True,
        help="Lint the Dockerfile first (pallet lint's rules and config); stop if it fails")
@argument("path")
def build(tags: tuple[str, ...], file_: str, build_args: tuple[str, ...],
          labels: tuple[str, ...], target: str, no_cache: bool, quiet: bool,
          secrets: tuple[str, ...], network: str, iidfile: str, progress: str, pull: bool,
          platform: str, rm: bool, force_rm: bool, check: bool, path: str) -> None:
    """Build an image from a Dockerfile."""
    for t in tags:  # before the context is read or sent
        parsed(t, build_tag, "-t, --tag")
    if path.startswith(("http://", "https://", "git@")):
        raise StatusError(1, "only a local directory or - (stdin) can be a build context")
    body, dockerfile = _stdin_context(file_) if path == "-" else _dir_context(path, file_,
                                                                               check)
    try:
        resp = api().build.build(
            body, tags=list(tags), dockerfile=dockerfile,
            buildargs=_kv(build_args, True), labels=_kv(labels, False), target=target,
            nocache=no_cache, quiet=quiet, networkmode=network, pull=pull, platform=platform,
            secrets=_secrets(secrets))
    except ContextError as e:
        raise StatusError(1, str(e)) from None
    aux = show(resp.chunks(), _write, quiet=quiet)
    image_id = next((a["ID"] for a in reversed(aux) if a.get("ID")), "")
    if quiet and image_id:
        echo(image_id)
    if iidfile and image_id:
        with open(iidfile, "w") as f:
            f.write(image_id)


_ARCHIVE_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")  # gzip, bzip2, xz


def _stdin_context(file_: str) -> tuple[Body, str]:
    """``build -``: stdin is a context archive (tar, maybe compressed), sent as it is, or a
    Dockerfile alone, sent in a context holding nothing else (as the docker CLI does)."""
    if file_ == "-":
        raise StatusError(1, "invalid argument: can't use stdin for both build context "
                          "and dockerfile")
    data = sys.stdin.buffer.read()
    if data.startswith(_ARCHIVE_MAGIC) or data[257:262] == b"ustar":
        return data, file_ or "Dockerfile"
    with tempfile.TemporaryDirectory() as alone:  # named Dockerfile, as errors say
        with open(os.path.join(alone, "Dockerfile"), "wb") as f:
            f.write(data)
        ctx = Context(alone)
        return b"".join(ctx.chunks()), ctx.dockerfile


def _dir_context(path: str, file_: str, check: bool) -> tuple[Body, str]:
    """A local directory as the context, its Dockerfile inside, outside (``-f``) or on
    stdin (``-f -``); linted first with ``--check``."""
    if not os.path.isdir(path):
        raise StatusError(1, f'unable to prepare context: path "{path}" not found')
    outside: bytes | None = None
    dockerfile_rel: str | None = "Dockerfile"
    if file_ == "-":
        outside = sys.stdin.buffer.read()
    elif file_:
        full = os.path.abspath(file_)
        rel = os.path.relpath(full, os.path.abspath(path))
        if rel == ".." or rel.startswith(".." + os.sep):
            try:
                with open(full, "rb") as f:
                    outside = f.read()
            except OSError as e:
                raise StatusError(1, f"unable to read {file_}: {e.strerror}") from None
        else:
            dockerfile_rel = rel.replace(os.sep, "/")
    if check:
        _lint_first(path, file_ or os.path.join(path, "Dockerfile"), outside)
    try:
        ctx = Context(path, dockerfile_rel, outside)
    except ContextError as e:
        raise StatusError(1, str(e)) from None
    return ctx.chunks(), ctx.dockerfile
