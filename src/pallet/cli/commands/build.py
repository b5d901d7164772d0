"""``pallet build``: send a context tar (``.dockerignore`` honoured) to ``POST /build``.

Output is the daemon's classic-builder stream; ``-q`` prints only the image ID.
Secrets (``--secret id=x,src=FILE`` or ``id=x,env=VAR``) travel in the
``X-Pallet-Build-Secrets`` header, never in the context.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tarfile
import tempfile
from typing import IO, Any

from pallet.cli.errors import StatusError
from pallet.cli.flags import UsageError, argument, command, option
from pallet.cli.progress import show
from pallet.cli.session import api
from pallet.cli.util import echo

SECRETS_HEADER = "X-Pallet-Build-Secrets"


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def context_tar(root: str, dockerfile_rel: str | None, out: IO[bytes],
                extra: dict[str, bytes] | None = None) -> int:
    """Tar ``root`` into ``out`` minus ``.dockerignore``d paths (the Dockerfile and
    ``.dockerignore`` are always sent); owners are 0:0. Returns the entry count."""
    ignore_text = ""
    try:
        with open(os.path.join(root, ".dockerignore"), encoding="utf-8") as f:
            ignore_text = f.read()
    except OSError:
        pass
    matcher = None
    if ignore_text.strip():  # no file, no matcher (its import costs the CLI ~8 ms)
        from pallet.build.dockerignore import Matcher

        matcher = Matcher.from_text(ignore_text)
    keep = {".dockerignore", *([dockerfile_rel] if dockerfile_rel else [])}
    count = 0

    def reset(ti: tarfile.TarInfo) -> tarfile.TarInfo:
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti

    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = os.path.relpath(dirpath, root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
            kept_dirs = []
            for name in sorted(dirnames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if matcher is not None and matcher.excluded(rel):
                    if matcher.may_include_below(rel):
                        kept_dirs.append(name)  # walked but not sent: a child may be re-included
                    continue
                kept_dirs.append(name)
                tf.add(os.path.join(dirpath, name), rel, recursive=False, filter=reset)
                count += 1
            dirnames[:] = kept_dirs
            for name in sorted(filenames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if matcher is not None and matcher.excluded(rel) and rel not in keep:
                    continue
                tf.add(os.path.join(dirpath, name), rel, recursive=False, filter=reset)
                count += 1
        for name, data in (extra or {}).items():
            import io

            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            tf.addfile(ti, io.BytesIO(data))
            count += 1
    return count


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
@argument("path")
def build(tags: tuple[str, ...], file_: str, build_args: tuple[str, ...],
          labels: tuple[str, ...], target: str, no_cache: bool, quiet: bool,
          secrets: tuple[str, ...], network: str, iidfile: str, progress: str, pull: bool,
          platform: str, rm: bool, force_rm: bool, path: str) -> None:
    """Build an image from a Dockerfile."""
    if path.startswith(("http://", "https://", "git@")) or path == "-":
        raise StatusError(1, "only a local directory can be a build context")
    if not os.path.isdir(path):
        raise StatusError(1, f'unable to prepare context: path "{path}" not found')
    extra: dict[str, bytes] = {}
    dockerfile_rel: str | None = "Dockerfile"
    if file_ == "-":
        extra[".pallet-dockerfile"] = sys.stdin.buffer.read()
        dockerfile_rel = ".pallet-dockerfile"
    elif file_:
        full = os.path.abspath(file_)
        rel = os.path.relpath(full, os.path.abspath(path))
        if rel.startswith(".."):
            try:
                with open(full, "rb") as f:
                    extra[".pallet-dockerfile"] = f.read()
            except OSError as e:
                raise StatusError(1, f"unable to read {file_}: {e.strerror}") from None
            dockerfile_rel = ".pallet-dockerfile"
        else:
            dockerfile_rel = rel.replace(os.sep, "/")
    secret_map = _secrets(secrets)
    query: dict[str, Any] = {
        "t": list(tags) or None,
        "dockerfile": dockerfile_rel,
        "buildargs": json.dumps(_kv(build_args, True)) if build_args else None,
        "labels": json.dumps(_kv(labels, False)) if labels else None,
        "target": target or None,
        "nocache": True if no_cache else None,
        "q": True if quiet else None,
        "networkmode": network or None,
        "pull": True if pull else None,
        "platform": platform or None,
    }
    headers = {"Content-Type": "application/x-tar"}
    if secret_map:
        headers[SECRETS_HEADER] = base64.urlsafe_b64encode(
            json.dumps(secret_map).encode()).decode().rstrip("=")
    with tempfile.TemporaryFile() as body:
        context_tar(path, dockerfile_rel, body, extra)
        body.seek(0)
        resp = api().t.request("POST", "/build", query, body=body, headers=headers)
        aux = show(resp.chunks(), _write, quiet=quiet)
    image_id = next((a["ID"] for a in reversed(aux) if a.get("ID")), "")
    if quiet and image_id:
        echo(image_id)
    if iidfile and image_id:
        with open(iidfile, "w") as f:
            f.write(image_id)
