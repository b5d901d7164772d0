"""``pallet compose exec`` and ``run``: a command in a service's running container, or
a one-off container of a service (``PROJECT-SERVICE-run-ID``, labelled ``oneoff=True``),
attached to the terminal as ``pallet exec`` and ``pallet start -a`` attach, with the
command's exit code.
"""

from __future__ import annotations

import sys

from pallet.cli.commands.compose import target
from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option


def _tty(no_tty: bool) -> bool:
    return not no_tty and sys.stdin.isatty() and sys.stdout.isatty()


def not_running(service: str, index: int = 0) -> StatusError:
    """Compose v2's error for a service with no (such numbered) running container."""
    from pallet.cli.format.containers import go_quote

    which = f" container #{index}" if index > 0 else ""
    return StatusError(1, f"service {go_quote(service)} is not running{which}")


@command("exec", interspersed=False)
@option("-d", "--detach", is_flag=True, help="Detached mode: Run command in the background")
@option("-T", "--no-TTY", "no_tty", is_flag=True, help="Disable pseudo-TTY allocation. By "
        "default `docker compose exec` allocates a TTY.")
@option("-u", "--user", default="", help="Run the command as this user")
@option("-e", "--env", multiple=True, help="Set environment variables")
@option("-w", "--workdir", default="", help="Path to workdir directory for this command")
@option("--index", type=int, default=0, help="Index of the container if service has "
        "multiple replicas")
@option("--privileged", is_flag=True, help="Give extended privileges to the process")
@option("-i", "--interactive", is_flag=True, default=True, hidden=True)
@argument("service")
@argument("command", nargs=-1, required=True, metavar="COMMAND [ARGS...]")
def exec_(detach: bool, no_tty: bool, user: str, env: tuple[str, ...], workdir: str,
          index: int, privileged: bool, interactive: bool, service: str,
          command: tuple[str, ...]) -> None:
    """Execute a command in a running container."""
    from pallet.cli.commands.compose.ops import _containers
    from pallet.cli.commands.io import exec_ as plain_exec
    from pallet.compose import labels

    docs = [d for d in _containers(target.project_or_name(), (service,))
            if d.get("State") == "running"]
    if index:
        docs = [d for d in docs if labels.number_of(d.get("Labels") or {}) == index]
    if not docs:
        raise not_running(service, index)
    docs.sort(key=lambda d: labels.number_of(d.get("Labels") or {}))
    plain_exec.fn(detach=detach, interactive=not detach, tty=_tty(no_tty), env=env,
                  env_file=(), user=user, workdir=workdir, privileged=privileged,
                  detach_keys="", container=str(docs[0]["Id"]), command=command)


@command(interspersed=False)
@option("-d", "--detach", is_flag=True, help="Run container in background and print container "
        "ID")
@option("--rm", is_flag=True, help="Automatically remove the container when it exits")
@option("--no-deps", is_flag=True, help="Don't start linked services")
@option("-e", "--env", multiple=True, help="Set environment variables")
@option("--entrypoint", default=None, help="Override the entrypoint of the image")
@option("-u", "--user", default="", help="Run as specified username or uid")
@option("-w", "--workdir", default="", help="Working directory inside the container")
@option("--name", default="", help="Assign a name to the container")
@option("-T", "--no-TTY", "no_tty", is_flag=True, help="Disable pseudo-TTY allocation "
        "(default: auto-detected)")
@option("-l", "--label", "labels_", multiple=True, help="Add or override a label")
@option("-p", "--publish", multiple=True, hidden=True)
@option("--service-ports", is_flag=True, help="Run command with all service's ports enabled "
        "and mapped to the host")
@option("--build", is_flag=True, help="Build image before starting container")
@option("-i", "--interactive", is_flag=True, default=True, hidden=True)
@argument("service")
@argument("command", nargs=-1, metavar="[COMMAND] [ARGS...]")
def run(detach: bool, rm: bool, no_deps: bool, env: tuple[str, ...], entrypoint: str | None,
        user: str, workdir: str, name: str, no_tty: bool, labels_: tuple[str, ...],
        publish: tuple[str, ...], service_ports: bool, build: bool, interactive: bool,
        service: str, command: tuple[str, ...]) -> None:
    """Run a one-off command on a service."""
    import os
    import secrets
    import shlex

    from pallet.cli.commands.compose.lifecycle import converge
    from pallet.compose import labels
    from pallet.compose.confighash import project_hashes
    from pallet.compose.convert import container_body
    from pallet.compose.mounts import filesystem
    from pallet.compose.plan import UpOptions
    from pallet.compose.secretfiles import secrets_root, write_file

    proj = target.project()
    svc = proj.services.get(service)
    if svc is None:
        raise StatusError(1, f"no such service: {service}")
    deps = [d for d in (svc.depends_on or {}) if d in proj.services]
    if deps and not no_deps:
        converge(proj, UpOptions(services=deps), build=build, no_build=False, pull="",
                 quiet_pull=True, timeout=None)
    else:
        from pallet.cli.commands.compose.images import prepare

        prepare(proj, [service], target.progress(), build=build)
    slug = secrets.token_hex(32)
    cname = name or labels.oneoff_name(proj.name, service, slug)


    fs = filesystem(proj, svc, os.path.join(secrets_root(), proj.name, cname))
    for spec in fs.files:
        write_file(spec, proj.environment)
    body = container_body(proj, svc, name=cname, number=None,
                          config_hash=project_hashes(proj)[service], fs=fs)
    body["Labels"][labels.SLUG] = slug
    for item in labels_:
        k, _, v = item.partition("=")
        body["Labels"][k] = v
    if command:
        body["Cmd"] = list(command)
    if entrypoint is not None:
        body["Entrypoint"] = shlex.split(entrypoint)
    body["Env"] = list(body.get("Env") or []) + list(env)
    if user:
        body["User"] = user
    if workdir:
        body["WorkingDir"] = workdir
    host = body.setdefault("HostConfig", {})
    if not service_ports:
        host.pop("PortBindings", None)
    host.pop("RestartPolicy", None)
    tty = _tty(no_tty)
    body.update({"Tty": tty, "OpenStdin": not detach, "StdinOnce": not detach,
                 "AttachStdin": not detach, "AttachStdout": not detach,
                 "AttachStderr": not detach})
    host["AutoRemove"] = rm and detach
    engine = target.engine()
    cid = engine.create_container(cname, body)
    if detach:
        engine.start(cid)
        print(cid)
        return
    from pallet.cli.commands.io import start_attached

    try:
        start_attached(cid, interactive=True)
    finally:
        if rm:
            engine.remove(cid, force=True)
