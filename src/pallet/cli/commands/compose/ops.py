"""``pallet compose`` start, stop, restart, rm, kill, pause, unpause and wait: one
action over the chosen services' containers. ``start`` keeps the dependency order and
conditions ``up`` uses, ``stop`` stops dependents first; these also work with only
``-p NAME`` (the project read back from its labels).
"""

from __future__ import annotations

from pallet.cli.commands.compose import target
from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from pallet.compose.model import Project


def _containers(proj: Project | str, services: tuple[str, ...], *, all: bool = True,
                oneoff: bool = False) -> list[dict[str, Any]]:
    from pallet.compose import labels

    wanted = target.services_of(proj, services)
    docs = target.engine().containers(target.name_of(proj), all=all)
    return sorted((d for d in docs
                   if (not wanted or (d.get("Labels") or {}).get(labels.SERVICE) in wanted)
                   and (oneoff or not labels.is_oneoff(d.get("Labels") or {}))),
                  key=lambda d: str((d.get("Names") or [""])[0]))


def _each(docs: list[dict[str, Any]], verb: str, done: str,
          action: Callable[[str], None]) -> None:
    """Run ``action`` on each container at once, reporting as Compose v2 does."""
    from functools import partial

    from pallet.compose.threads import gather

    progress = target.progress()
    dry = target.dry_run()

    def one(doc: dict[str, Any]) -> None:
        name = str(doc["Names"][0]).lstrip("/")
        progress.event("Container", name, verb)
        if not dry:
            action(str(doc["Id"]))
        progress.event("Container", name, done)

    gather([partial(one, d) for d in docs])


@command()
@option("--wait", is_flag=True, hidden=True)
@argument("services", nargs=-1, metavar="[SERVICE...]")
def start(wait: bool, services: tuple[str, ...]) -> None:
    """Start services."""
    from pallet.compose import lifecycle

    proj = target.project_or_name()
    lifecycle.start(target.engine(), proj, target.services_of(proj, services),
                    target.progress(), parallel=target.parallel())


@command()
@option("-t", "--timeout", type=int, default=None, help="Specify a shutdown timeout in seconds")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def stop(timeout: int | None, services: tuple[str, ...]) -> None:
    """Stop services."""
    from pallet.compose import lifecycle

    proj = target.project_or_name()
    lifecycle.stop(target.engine(), proj, target.services_of(proj, services),
                   target.progress(), timeout=timeout, parallel=target.parallel())


@command()
@option("-t", "--timeout", type=int, default=None, help="Specify a shutdown timeout in seconds")
@option("--no-deps", is_flag=True, help="Don't restart dependent services")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def restart(timeout: int | None, no_deps: bool, services: tuple[str, ...]) -> None:
    """Restart service containers (then, unless ``--no-deps``, the services that depend
    on them with ``restart: true``)."""
    from pallet.cli.session import api

    containers = api().containers
    proj = target.project_or_name()
    waves = [services]
    if services and not no_deps and not isinstance(proj, str):
        from pallet.compose.desired import desired
        from pallet.compose.stopplan import restart_dependents

        waves.append(tuple(restart_dependents(desired(proj, hashes=False), list(services))))
    for wave in waves:
        if wave or not services:
            _each(_containers(proj, wave), "Restarting", "Started",
                  lambda ref: containers.restart(ref, timeout))


@command()
@option("-f", "--force", is_flag=True, help="Don't ask to confirm removal")
@option("-s", "--stop", is_flag=True, help="Stop the containers, if required, before removing")
@option("-v", "--volumes", is_flag=True, help="Remove any anonymous volumes attached to "
        "containers")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def rm(force: bool, stop: bool, volumes: bool, services: tuple[str, ...]) -> None:
    """Removes stopped service containers."""
    import sys

    proj = target.project_or_name()
    engine = target.engine()
    if stop:
        from pallet.compose import lifecycle

        lifecycle.stop(engine, proj, target.services_of(proj, services), target.progress())
    docs = [d for d in _containers(proj, services) if d.get("State") != "running"]
    if not docs:
        sys.stderr.write("No stopped containers\n")
        return
    names = [str(d["Names"][0]).lstrip("/") for d in docs]
    if not force:
        sys.stdout.write(f"Going to remove {', '.join(names)}\n"
                         "Are you sure? [yN] ")
        sys.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return
    _each(docs, "Removing", "Removed",
          lambda ref: engine.remove(ref, force=True, volumes=volumes))


@command()
@option("-s", "--signal", default="SIGKILL", help="SIGNAL to send to the container")
@option("--remove-orphans", is_flag=True, help="Remove containers for services not defined "
        "in the Compose file")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def kill(signal: str, remove_orphans: bool, services: tuple[str, ...]) -> None:
    """Force stop service containers."""
    engine = target.engine()
    docs = [d for d in _containers(target.project_or_name(), services)
            if d.get("State") == "running"]
    if not docs:
        raise StatusError(1, "no container to kill")
    _each(docs, "Killing", "Killed", lambda ref: engine.kill(ref, signal))


def _flip(services: tuple[str, ...], state: str, action: str, verb: str, done: str) -> None:
    from pallet.cli.session import api

    call = getattr(api().containers, action)
    docs = [d for d in _containers(target.project_or_name(), services)
            if d.get("State") == state]
    _each(docs, verb, done, call)


@command()
@argument("services", nargs=-1, metavar="[SERVICE...]")
def pause(services: tuple[str, ...]) -> None:
    """Pause services."""
    _flip(services, "running", "pause", "Pausing", "Paused")


@command()
@argument("services", nargs=-1, metavar="[SERVICE...]")
def unpause(services: tuple[str, ...]) -> None:
    """Unpause services."""
    _flip(services, "paused", "unpause", "Unpausing", "Unpaused")


@command()
@option("--down-project", is_flag=True, help="Drops project when the first container stops")
@argument("services", nargs=-1, required=True, metavar="SERVICE [SERVICE...]")
def wait(down_project: bool, services: tuple[str, ...]) -> int:
    """Block until containers of all (or specified) services stop."""
    from functools import partial

    from pallet.cli.session import api
    from pallet.compose.threads import completions

    proj = target.project_or_name()
    engine = target.engine()
    docs = _containers(proj, services)
    if not docs:
        raise StatusError(1, "no containers for project")
    containers = api().containers
    def exit_code(ref: str) -> int:
        return int(containers.wait(ref, "not-running").result().StatusCode)

    calls = [partial(exit_code, str(d["Id"])) for d in docs]
    codes: dict[int, int] = {}
    for i, code, err in completions(calls):
        if err is not None:
            raise err
        codes[i] = int(code or 0)
        if down_project:
            from pallet.compose import lifecycle
            from pallet.compose.plan import DownOptions

            lifecycle.down(engine, proj, DownOptions(), target.progress())
            return codes[i]
    for i, d in enumerate(docs):
        print(f"{str(d['Names'][0]).lstrip('/')} exited with code {codes[i]}")
    return max(codes.values(), default=0)
