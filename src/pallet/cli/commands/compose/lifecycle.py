"""``pallet compose up``, ``down`` and ``create``: Compose v2's flags over the planner
and executor (:mod:`pallet.compose.lifecycle`). A foreground ``up`` follows the
containers' logs until they all stop (or, with ``--abort-on-container-exit``, until
the first one does, then stops the rest and exits with its code); Ctrl-C stops the
project.
"""

from __future__ import annotations

import contextlib
import sys

from pallet.cli.commands.compose import target
from pallet.cli.errors import StatusError
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import argument, command, option

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from pallet.compose.model import Project
    from pallet.compose.plan import Recreate, UpOptions

    F = TypeVar("F", bound=Callable[..., Any])


def _scale(values: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        name, sep, num = v.partition("=")
        if not sep or not num.isdigit():
            raise UsageError(f'invalid argument "{v}" for "--scale" flag: expected SERVICE=NUM')
        out[name] = int(num)
    return out


def _recreate(force: bool, no_recreate: bool) -> Recreate:
    if force and no_recreate:
        raise UsageError("--force-recreate and --no-recreate are incompatible")
    return "force" if force else "never" if no_recreate else "diverged"


def converge(proj: Project, opts: UpOptions, *, build: bool, no_build: bool, pull: str,
             quiet_pull: bool, timeout: int | None, renew: bool = False,
             yes: bool = False) -> None:
    """Build/pull what is missing, then plan and execute."""
    from pallet.compose.observed import observe
    from pallet.compose.threads import background

    # what the engine holds is read while the rest loads and the images are looked up
    engine = target.engine()
    seen = background(lambda: observe(engine, proj.name))
    from pallet.cli.commands.compose.images import prepare
    from pallet.compose import lifecycle
    from pallet.compose.desired import desired
    from pallet.compose.planner import select

    progress = target.progress()
    names = sorted(select(desired(proj, hashes=False), opts.services, with_deps=not opts.no_deps))
    ids = prepare(proj, names, progress, build=build, no_build=no_build, pull=pull,
                  quiet_pull=quiet_pull)
    observed = seen.result()
    lifecycle.up(engine, proj, opts, progress, timeout=timeout, parallel=target.parallel(),
                 image_ids=ids, renew=renew, observed=observed,
                 confirm=(lambda question: True) if yes else target.ask)


def converge_options(fn: F) -> F:
    """The image and recreate flags ``up`` and ``create`` share."""
    for decorate in reversed(_CONVERGE):
        fn = decorate(fn)
    return fn


_CONVERGE = [
    option("--build", is_flag=True, help="Build images before starting containers"),
    option("--no-build", is_flag=True, help="Don't build an image, even if it's policy"),
    option("--pull", default="", help='Pull image before running ("always"|"missing"|"never")'),
    option("--quiet-pull", is_flag=True, help="Pull without printing progress information"),
    option("--force-recreate", is_flag=True, help="Recreate containers even if their "
           "configuration and image haven't changed"),
    option("--no-recreate", is_flag=True, help="If containers already exist, don't recreate "
           "them. Incompatible with --force-recreate."),
]


@command()
@option("-d", "--detach", is_flag=True, help="Detached mode: Run containers in the background")
@converge_options
@option("--always-recreate-deps", is_flag=True, help="Recreate dependent containers. "
        "Incompatible with --no-recreate.")
@option("--no-deps", is_flag=True, help="Don't start linked services")
@option("-V", "--renew-anon-volumes", is_flag=True, help="Recreate anonymous volumes instead "
        "of retrieving data from the previous containers")
@option("--no-start", is_flag=True, help="Don't start the services after creating them")
@option("--remove-orphans", is_flag=True, help="Remove containers for services not defined "
        "in the Compose file")
@option("--scale", multiple=True, help="Scale SERVICE to NUM instances. Overrides the scale "
        "setting in the Compose file if present.")
@option("--wait", is_flag=True, help="Wait for services to be running|healthy. Implies "
        "detached mode.")
@option("--wait-timeout", type=int, default=0, help="Maximum duration in seconds to wait for "
        "the project to be running|healthy")
@option("--abort-on-container-exit", is_flag=True, help="Stops all containers if any "
        "container was stopped. Incompatible with -d")
@option("--exit-code-from", default="", help="Return the exit code of the selected service "
        "container. Implies --abort-on-container-exit")
@option("-t", "--timeout", type=int, default=None, help="Use this timeout in seconds for "
        "container shutdown when attached or when containers are already running")
@option("--no-color", is_flag=True, help="Produce monochrome output")
@option("--no-log-prefix", is_flag=True, help="Don't print prefix in logs")
@option("--timestamps", is_flag=True, help="Show timestamps")
@option("-y", "--yes", is_flag=True, help='Assume "yes" as answer to all prompts')
@argument("services", nargs=-1, metavar="[SERVICE...]")
def up(detach: bool, build: bool, no_build: bool, pull: str, quiet_pull: bool,
       force_recreate: bool, no_recreate: bool, always_recreate_deps: bool, no_deps: bool,
       renew_anon_volumes: bool, no_start: bool, remove_orphans: bool,
       scale: tuple[str, ...], wait: bool, wait_timeout: int,
       abort_on_container_exit: bool, exit_code_from: str,
       timeout: int | None, no_color: bool, no_log_prefix: bool, timestamps: bool,
       yes: bool, services: tuple[str, ...]) -> int:
    """Create and start containers."""
    from pallet.compose.plan import UpOptions

    if build and no_build:
        raise UsageError("--build and --no-build are incompatible")
    abort = abort_on_container_exit or bool(exit_code_from)
    if detach and abort:
        raise UsageError("--abort-on-container-exit and --detach are incompatible")
    proj = target.project()
    policy = _recreate(force_recreate, no_recreate)
    opts = UpOptions(
        services=target.services_of(proj, services), recreate=policy,
        recreate_deps="force" if always_recreate_deps else
        ("never" if no_recreate else "diverged"),
        no_deps=no_deps, remove_orphans=remove_orphans, scale=_scale(scale),
        start=not no_start)
    converge(proj, opts, build=build, no_build=no_build, pull=pull, quiet_pull=quiet_pull,
             timeout=timeout, renew=renew_anon_volumes, yes=yes)
    if no_start:
        return 0
    if wait:
        return wait_ready(proj, opts.services, wait_timeout)
    if detach:
        return 0
    return attach(proj, opts.services, abort=abort, exit_code_from=exit_code_from,
                  color=not no_color, prefix=not no_log_prefix, timestamps=timestamps,
                  timeout=timeout)


def wait_ready(proj: Project, services: list[str], timeout: int) -> int:
    """``up --wait``: every container running (healthy when it has a healthcheck)."""
    import time

    from pallet.compose import conditions, labels

    engine = target.engine()
    progress = target.progress()
    deadline = time.monotonic() + timeout if timeout > 0 else None
    docs = [d for d in engine.containers(proj.name) if not services
            or (d.get("Labels") or {}).get(labels.SERVICE) in services]
    for d in docs:
        progress.event("Container", str(d["Names"][0]).lstrip("/"), "Waiting")
    try:
        while True:
            states = [engine.inspect_container(str(d["Id"])) for d in docs]
            if all(conditions.healthy(s, or_running=True) == conditions.DONE for s in states):
                break
            if deadline is not None and time.monotonic() > deadline:
                raise StatusError(1, "timeout waiting for the project to be running|healthy")
            time.sleep(0.2)
    except conditions.DependencyFailed as err:
        raise StatusError(1, err.message) from None
    for d in docs:
        progress.event("Container", str(d["Names"][0]).lstrip("/"), "Healthy")
    return 0


def attach(proj: Project, services: list[str], *, abort: bool, exit_code_from: str,
           color: bool, prefix: bool, timestamps: bool, timeout: int | None) -> int:
    """Follow the logs of the project's containers; the exit code ``up`` returns."""
    import threading
    from functools import partial

    from pallet.cli.commands.compose import interrupts
    from pallet.cli.commands.compose.logs import (
        Printer,
        display_name,
        join,
        log_query,
        stream,
        use_color,
    )
    from pallet.compose import labels, lifecycle
    from pallet.compose.threads import gather
    from pallet.errors import PalletError

    engine = target.engine()
    docs = [d for d in engine.containers(proj.name) if not labels.is_oneoff(d.get("Labels") or {})
            and (not services or (d.get("Labels") or {}).get(labels.SERVICE) in services)]
    docs.sort(key=lambda d: str(d["Names"][0]))
    first: list[dict[str, Any]] = []
    stopped = threading.Event()

    def ended(doc: dict[str, Any]) -> None:
        try:
            state = engine.inspect_container(str(doc["Id"])).get("State") or {}
        except PalletError:
            state = {}
        if not state.get("Running"):
            printer.status(display_name(doc), f"exited with code {state.get('ExitCode', 0)}")
        if not first:
            first.append(doc)
        if abort:
            stopped.set()

    sys.stdout.write(f"Attaching to {', '.join(display_name(d) for d in docs)}\n")
    sys.stdout.flush()
    query = log_query(True, "all", timestamps, "", "")
    printer = Printer(color and use_color(False), prefix)
    threads = stream(docs, query, printer, on_end=ended)
    with interrupts.catching():
        try:
            if abort:
                while not stopped.wait(0.2) and any(t.is_alive() for t in threads):
                    pass
                sys.stdout.write("Aborting on container exit...\n")
                lifecycle.stop(engine, proj, [], target.progress(), timeout=timeout)
            join(threads)
        except KeyboardInterrupt:
            return interrupts.teardown(
                lambda: lifecycle.stop(engine, proj, [], target.progress(), timeout=timeout),
                lambda: gather([partial(_kill, engine, str(d["Id"])) for d in docs]))
    return _exit_code(engine, docs, first, exit_code_from, abort)


def _kill(engine: Any, ref: str) -> None:
    """SIGKILL one container; one already gone or stopped is no error."""
    from pallet.errors import PalletError

    with contextlib.suppress(PalletError):
        engine.kill(ref, "SIGKILL")


def _exit_code(engine: Any, docs: list[dict[str, Any]], first: list[dict[str, Any]],
               service: str, abort: bool) -> int:
    from pallet.compose import labels

    if service:
        chosen = [d for d in docs if (d.get("Labels") or {}).get(labels.SERVICE) == service]
    elif abort:
        chosen = first[:1]
    else:
        return 0
    if not chosen:
        return 0
    state = engine.inspect_container(str(chosen[0]["Id"])).get("State") or {}
    return int(state.get("ExitCode", 0) or 0)


@command()
@option("--remove-orphans", is_flag=True, help="Remove containers for services not defined "
        "in the Compose file")
@option("--rmi", default="", help='Remove images used by services. "local" remove only images '
        'that don\'t have a custom tag ("local"|"all")')
@option("-t", "--timeout", type=int, default=None, help="Specify a shutdown timeout in seconds")
@option("-v", "--volumes", is_flag=True, help="Remove named volumes declared in the "
        '"volumes" section of the Compose file and anonymous volumes attached to containers')
@argument("services", nargs=-1, metavar="[SERVICES]")
def down(remove_orphans: bool, rmi: str, timeout: int | None, volumes: bool,
         services: tuple[str, ...]) -> None:
    """Stop and remove containers, networks."""
    from pallet.compose import lifecycle
    from pallet.compose.plan import DownOptions

    if rmi not in ("", "local", "all"):
        raise UsageError(f'invalid value for --rmi: "{rmi}"; expected "local" or "all"')
    proj = target.project_or_name()
    images = _images_to_remove(proj, rmi)
    opts = DownOptions(services=target.services_of(proj, services), timeout=timeout,
                       volumes=volumes, remove_orphans=remove_orphans, images=images)
    lifecycle.down(target.engine(), proj, opts, target.progress(), timeout=timeout,
                   parallel=target.parallel())


def _images_to_remove(proj: Project | str, rmi: str) -> list[str]:
    """``--rmi all``: every service's image; ``local``: those built without a name."""
    if not rmi:
        return []
    from pallet.compose import labels

    if isinstance(proj, str):
        docs = target.engine().containers(proj)
        images = {str(d.get("Image", "")) for d in docs}
        return sorted(i for i in images if i and (rmi == "all" or
                      i.startswith(proj + labels.SEPARATOR)))
    from pallet.compose.convert import image_name

    out = set()
    for svc in proj.services.values():
        if rmi == "all" or svc.image is None:
            out.add(image_name(proj, svc))
    return sorted(out)


@command()
@converge_options
@option("--remove-orphans", is_flag=True, help="Remove containers for services not defined "
        "in the Compose file")
@option("--scale", multiple=True, help="Scale SERVICE to NUM instances. Overrides the scale "
        "setting in the Compose file if present.")
@option("-y", "--yes", is_flag=True, help='Assume "yes" as answer to all prompts')
@argument("services", nargs=-1, metavar="[SERVICE...]")
def create(build: bool, no_build: bool, pull: str, quiet_pull: bool, force_recreate: bool,
           no_recreate: bool, remove_orphans: bool, scale: tuple[str, ...], yes: bool,
           services: tuple[str, ...]) -> None:
    """Creates containers for a service."""
    from pallet.compose.plan import UpOptions

    proj = target.project()
    opts = UpOptions(services=target.services_of(proj, services),
                     recreate=_recreate(force_recreate, no_recreate),
                     remove_orphans=remove_orphans, scale=_scale(scale), start=False)
    converge(proj, opts, build=build, no_build=no_build, pull=pull, quiet_pull=quiet_pull,
             timeout=None, yes=yes)
