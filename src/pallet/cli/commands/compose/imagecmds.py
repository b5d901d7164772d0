"""``pallet compose`` build, pull, push and events."""

from __future__ import annotations

import sys
from typing import Any

from pallet.cli.commands.compose import target
from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option


@command()
@option("--no-cache", is_flag=True, help="Do not use cache when building the image")
@option("--pull", is_flag=True, help="Always attempt to pull a newer version of the image")
@option("-q", "--quiet", is_flag=True, help="Don't print anything to STDOUT")
@option("--build-arg", "build_args", multiple=True, help="Set build-time variables for "
        "services")
@option("--with-dependencies", is_flag=True, help="Also build dependencies (transitively)")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def build(no_cache: bool, pull: bool, quiet: bool, build_args: tuple[str, ...],
          with_dependencies: bool, services: tuple[str, ...]) -> None:
    """Build or rebuild services."""
    from pallet.cli.commands.compose.images import build_one
    from pallet.compose.convert import image_name
    from pallet.compose.desired import desired
    from pallet.compose.planner import select

    proj = target.project()
    names = select(desired(proj, hashes=False), target.services_of(proj, services),
                   with_deps=with_dependencies)
    args = dict(a.partition("=")[::2] for a in build_args)
    progress = target.progress()
    for name in sorted(names):
        svc = proj.services[name]
        if svc.build is not None and target.dry_run():
            progress.event("", name, "Built")
        elif svc.build is not None:
            build_one(proj, svc, image_name(proj, svc), no_cache=no_cache, pull=pull,
                      quiet=quiet, args=args, progress=progress)


@command()
@option("-q", "--quiet", is_flag=True, help="Pull without printing progress information")
@option("--ignore-pull-failures", is_flag=True, help="Pull what it can and ignores images "
        "with pull failures")
@option("--ignore-buildable", is_flag=True, help="Ignore images that can be built")
@option("--include-deps", is_flag=True, help="Also pull services declared as dependencies")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def pull(quiet: bool, ignore_pull_failures: bool, ignore_buildable: bool, include_deps: bool,
         services: tuple[str, ...]) -> None:
    """Pull service images."""
    from pallet.cli.commands.compose.images import pull_one
    from pallet.compose.desired import desired
    from pallet.compose.planner import select
    from pallet.errors import PalletError

    proj = target.project()
    names = select(desired(proj, hashes=False), target.services_of(proj, services),
                   with_deps=include_deps)
    progress = target.progress()
    failed = False
    for name in sorted(names):
        svc = proj.services[name]
        if svc.image is None or (svc.build is not None and ignore_buildable):
            continue
        if target.dry_run():
            progress.event("", name, "Pulled")
            continue
        try:
            pull_one(svc.image, progress, quiet, service=name)
        except PalletError as err:
            progress.event("", name, f"Error {err.message}")
            failed = True
    if failed and not ignore_pull_failures:
        raise StatusError(1)


@command()
@option("--ignore-push-failures", is_flag=True, help="Push what it can and ignores images "
        "with push failures")
@option("-q", "--quiet", is_flag=True, help="Push without printing progress information")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def push(ignore_push_failures: bool, quiet: bool, services: tuple[str, ...]) -> None:
    """Push service images."""
    from pallet.cli.commands import credstore
    from pallet.cli.progress import show
    from pallet.cli.session import api
    from pallet.errors import PalletError

    proj = target.project()
    progress = target.progress()
    for name in sorted(target.services_of(proj, services) or proj.services):
        svc = proj.services[name]
        if not svc.image:
            continue
        repo, _, tag = svc.image.rpartition(":") if ":" in svc.image.rsplit("/", 1)[-1] \
            else (svc.image, "", "latest")
        progress.event("", name, "Pushing")
        if target.dry_run():
            continue
        try:
            resp = api().registry.push(repo, tag or "latest", auth=credstore.header_for(repo))
            show(resp.chunks(), lambda s: None, quiet=True)
        except PalletError:
            if not ignore_push_failures:
                raise
            continue
        progress.event("", name, "Pushed")


@command()
@option("--json", "as_json", is_flag=True, help="Output events as a stream of json objects")
@option("--since", default="", help="Show all events created since timestamp")
@option("--until", default="", help="Stream events until this timestamp")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def events(as_json: bool, since: str, until: str, services: tuple[str, ...]) -> None:
    """Receive real time events from containers."""
    from pallet.cli.session import api
    from pallet.client.streams import json_lines
    from pallet.compose import labels

    proj = target.project_or_name()
    wanted = target.services_of(proj, services)
    flt = {"label": [labels.project_filter(target.name_of(proj))], "type": ["container"]}
    resp = api().system.events(since=since or None, until=until or None, filters=flt)
    try:
        for ev in json_lines(resp.chunks()):
            line = event_line(ev, as_json)
            if line is not None and (not wanted or line[0] in wanted):
                sys.stdout.write(line[1])
                sys.stdout.flush()
    except KeyboardInterrupt:
        return


def event_line(ev: dict[str, Any], as_json: bool) -> tuple[str, str] | None:
    """``(service, text)`` of one engine event as Compose v2's ``events`` prints it (None
    for a one-off container's): its attributes less the ``com.docker.compose.*`` labels;
    JSON as Go marshals a map (keys sorted, time in RFC 3339 with nanoseconds), or the
    plain line Compose v2 ends with an empty one."""
    from datetime import datetime

    from pallet.compose import labels
    from pallet.compose.confighash import go_json
    from pallet.notation.times import rfc3339_nano

    actor = ev.get("Actor") or {}
    every = dict(actor.get("Attributes") or {})
    if labels.is_oneoff(every):
        return None
    service = every.get(labels.SERVICE, "")
    attrs = {k: v for k, v in sorted(every.items()) if not k.startswith(labels.PREFIX)}
    nano = int(ev.get("timeNano") or int(ev.get("time", 0)) * 1_000_000_000)
    cid = str(actor.get("ID") or ev.get("id", ""))
    action = str(ev.get("Action") or ev.get("status", ""))
    if as_json:
        stamp = rfc3339_nano(nano)
        whole, _, frac = stamp[:-1].partition(".")
        frac = frac.rstrip("0")  # Go's RFC3339Nano drops trailing zeros
        doc = {"action": action, "attributes": attrs, "id": cid, "service": service,
               "time": f"{whole}.{frac}Z" if frac else f"{whole}Z", "type": "container"}
        return service, go_json(doc).decode() + "\n"
    when = datetime.fromtimestamp(nano / 1e9)
    pairs = ", ".join(f"{k}={v}" for k, v in attrs.items())
    return service, f"{when:%Y-%m-%d %H:%M:%S.%f} container {action} {cid} ({pairs})\n\n"
