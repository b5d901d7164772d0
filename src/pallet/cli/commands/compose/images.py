"""Service images: building (``build:`` through the engine's ``POST /build``, with the
context tar ``pallet build`` streams) and pulling (``POST /images/create`` with the
user's registry credentials), for ``up``/``create``/``run`` and the ``build``, ``pull``
and ``push`` commands. Builds run one after another (each loads the engine already);
pulls run at once.
"""

from __future__ import annotations

import os
import sys
from functools import partial

from pallet.cli.errors import StatusError
from pallet.cli.session import api
from pallet.compose.imageplan import ImageAction, image_actions
from pallet.compose.model import Project, Service
from pallet.compose.progress import Progress


def _quiet_write(text: str) -> None:
    return None


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def present(refs: set[str]) -> dict[str, str]:
    """The image references the engine has, with their IDs (asked at once)."""
    from pallet.errors import NotFound

    images = api().images

    def image_id(ref: str) -> str | None:
        try:
            return str(images.inspect(ref).get("Id", ""))
        except NotFound:
            return None

    from pallet.compose.threads import gather

    order = sorted(refs)
    ids = dict(zip(order, gather([partial(image_id, r) for r in order]), strict=True))
    return {ref: i for ref, i in ids.items() if i is not None}


def _secrets(project: Project, svc: Service) -> dict[str, str]:
    out: dict[str, str] = {}
    for ref in (svc.build.secrets if svc.build else None) or []:
        obj = (project.secrets or {}).get(ref.source)
        if obj is None:
            raise StatusError(1, f"service {svc.name!r} refers to undefined secret {ref.source}")
        if obj.file:
            with open(obj.file, "rb") as f:
                data = f.read()
        else:
            value = project.environment.get(obj.environment or "",
                                            os.environ.get(obj.environment or ""))
            if value is None and obj.content is None:
                raise StatusError(1, f"secret {ref.source}: environment variable "
                                     f"{obj.environment} is not set")
            data = (value if value is not None else obj.content or "").encode()
        import base64  # only builds with secrets need it

        out[ref.target or ref.source] = base64.b64encode(data).decode()
    return out


def build_one(project: Project, svc: Service, image: str, *, no_cache: bool = False,
              pull: bool = False, quiet: bool = False, args: dict[str, str] | None = None,
              progress: Progress | None = None) -> None:
    """Build ``svc``'s image and tag it ``image`` (and the service's ``build.tags``)."""
    from pallet.cli.buildctx import Context, ContextError

    b = svc.build
    assert b is not None
    if progress:
        progress.event("Service", svc.name, "Building")
    outside: bytes | None = None
    dockerfile: str | None = "Dockerfile"
    if b.dockerfile_inline is not None:
        outside = b.dockerfile_inline.encode()
    elif b.dockerfile:
        full = os.path.join(b.context, b.dockerfile)
        rel = os.path.relpath(full, b.context)
        if rel.startswith(".."):
            with open(full, "rb") as f:
                outside = f.read()
        else:
            dockerfile = rel.replace(os.sep, "/")
    try:
        ctx = Context(b.context, dockerfile, outside)
    except ContextError as e:
        raise StatusError(1, str(e)) from None
    build_args: dict[str, str | None] = {k: v for k, v in (b.args or {}).items()
                                         if v is not None}
    build_args.update(args or {})
    resp = api().build.build(
        ctx.chunks(), tags=[image, *(b.tags or [])], dockerfile=ctx.dockerfile,
        buildargs=build_args or None, labels=b.labels, target=b.target,
        nocache=no_cache or b.no_cache, pull=pull or b.pull, networkmode=b.network,
        quiet=quiet, secrets=_secrets(project, svc) or None)
    silent = quiet or (progress is not None and progress.mode in ("quiet", "json"))
    from pallet.cli.progress import show  # builds and pulls only

    show(resp.chunks(), _quiet_write if silent else _write, quiet=silent)
    if progress:
        progress.event("Service", svc.name, "Built")


def pull_one(image: str, progress: Progress, quiet: bool = False,
             service: str = "") -> None:
    from pallet.cli.commands import credstore

    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    if "@" in image:
        name, _, tag = image.partition("@")
    label = service or image
    progress.event("" if service else "Image", label, "Pulling")
    resp = api().registry.pull(name, tag or "latest", auth=credstore.header_for(name))
    from pallet.cli.progress import show

    show(resp.chunks(), _quiet_write, quiet=True)
    progress.event("" if service else "Image", label, "Pulled")


def prepare(project: Project, services: list[str], progress: Progress, *,
            build: bool = False, no_build: bool = False, pull: str = "",
            quiet_pull: bool = False) -> dict[str, str]:
    """Build and pull what ``services`` need before their containers are made;
    returns the images' IDs by reference."""
    from pallet.compose.convert import image_name

    refs = {image_name(project, project.services[n]) for n in services}
    found = present(refs)
    actions = image_actions(project, services, set(found), build=build,
                            no_build=no_build, pull=pull)
    run_actions(project, actions, progress, quiet_pull=quiet_pull)
    if actions:
        found.update(present({a.image for a in actions}))
    return found


def run_actions(project: Project, actions: list[ImageAction], progress: Progress, *,
                quiet_pull: bool = False) -> None:
    from pallet.cli.commands.compose.target import dry_run

    if dry_run():
        for a in actions:
            progress.event("", a.service, "Pulled" if a.action == "pull" else "Built")
        return
    pulls = [a for a in actions if a.action == "pull"]
    if pulls:
        from pallet.compose.threads import gather

        gather([partial(pull_one, a.image, progress, quiet_pull, a.service) for a in pulls])
    for a in actions:
        if a.action == "build":
            build_one(project, project.services[a.service], a.image, progress=progress)
