"""``pallet kube``: ``generate`` Kubernetes manifests from containers or a compose project
(validated offline, written only when valid), ``push`` their images to a registry, and
``play`` manifests on the engine (``--down`` removes what a play made).

The compose source takes the compose group's global flags (``-f``, ``-p``,
``--project-directory``, ``--profile``, ``--env-file``) after ``--compose``; a project named
without ``-f`` is the compose project in the current directory under that name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import Group, Table, argument, command, option
from pallet.cli.session import api
from pallet.cli.util import echo

F = TypeVar("F", bound=Callable[..., Any])
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.compose.model import Project

K = "pallet.cli.commands.kube"
COMMANDS: Table = {
    "generate": (K, "generate", "Generate Kubernetes manifests from containers or a "
                 "Compose project"),
    "play": (K, "play", "Run Kubernetes manifests on pallet"),
    "push": (K, "push", "Push the images of containers or a Compose project to a registry"),
}
kube = Group("kube", "Move containers and Compose projects to Kubernetes", COMMANDS)


def _compose_options(fn: F) -> F:
    for decl in reversed((
        option("--compose", "compose", is_flag=True,
               help="Read a Compose project instead of containers"),
        option("-f", "--file", "files", multiple=True, help="Compose configuration files"),
        option("-p", "--project-name", "project_name", default="", help="Project name"),
        option("--project-directory", "project_directory", default="",
               help="Alternate working directory of the Compose project"),
        option("--profile", "profiles", multiple=True, help="Compose profile to enable"),
        option("--env-file", "env_files", multiple=True, help="Alternate environment file"),
        option("--registry", default="", help="Rewrite image names to this registry"),
    )):
        fn = decl(fn)
    return fn


def _project(compose: bool, names: tuple[str, ...], files: tuple[str, ...], project_name: str,
             project_directory: str, profiles: tuple[str, ...],
             env_files: tuple[str, ...]) -> Project | None:
    if not compose:
        if files or project_name:
            raise UsageError("-f and -p go with --compose")
        return None
    if len(names) > 1:
        raise UsageError("--compose takes at most one PROJECT")
    from pallet.cli.commands.compose.context import warn
    from pallet.compose.loader import load
    from pallet.compose.options import ProjectOptions

    project = load(ProjectOptions(files=files, project_name=project_name or
                                  (names[0] if names else ""),
                                  project_directory=project_directory, profiles=profiles,
                                  env_files=env_files))
    warn(project.warnings)
    return project


@command()
@_compose_options
@option("-o", "--output", default="", help="Write to FILE, or one file per object to DIR/")
@option("--stateful", is_flag=True,
        help="StatefulSets with volumeClaimTemplates for one-replica services with volumes")
@option("--service-type", "service_type", default="ClusterIP",
        help="Service type for published ports: ClusterIP, NodePort, LoadBalancer")
@option("--external-secrets", "external_secrets", is_flag=True,
        help="Reference Secrets by name instead of writing their content")
@option("--kube-version", "kube_version", default="",
        help="Kubernetes version to validate against (default: the newest known)")
@option("--volume-size", "volume_size", default="1Gi", help="Storage each claim requests")
@option("--init-image", "init_image", default="busybox",
        help="Image of the initContainers that wait for healthy dependencies")
@argument("names", nargs=-1, metavar="CONTAINER...|PROJECT")
def generate(compose: bool, files: tuple[str, ...], project_name: str, project_directory: str,
             profiles: tuple[str, ...], env_files: tuple[str, ...], registry: str, output: str,
             stateful: bool, service_type: str, external_secrets: bool, kube_version: str,
             volume_size: str, init_image: str, names: tuple[str, ...]) -> None:
    """Generate Kubernetes manifests from containers or a Compose project."""
    from pallet.kube import emit
    from pallet.kube import generate as gen
    from pallet.kube.convert import SERVICE_TYPES, Options
    from pallet.kube.validate import default_version

    if service_type not in SERVICE_TYPES:
        raise UsageError(f"invalid --service-type {service_type!r}: one of "
                         f"{', '.join(SERVICE_TYPES)}")
    client = api()
    project = gen.source_project(client, list(names), _project(
        compose, names, files, project_name, project_directory, profiles, env_files))
    opts = Options(service_type=service_type, stateful=stateful,
                   external_secrets=external_secrets, registry=registry,
                   volume_size=volume_size, init_image=init_image)
    result = gen.generate(client, project, opts, kube_version or default_version())
    for text in result.warnings:
        echo(f"WARNING: {text}", err=True)
    if output:
        for path in emit.write(result.objects, output):
            echo(path, err=True)
    else:
        sys.stdout.write(emit.dump(result.objects))


@command()
@_compose_options
@argument("names", nargs=-1, metavar="CONTAINER...|PROJECT")
def push(compose: bool, files: tuple[str, ...], project_name: str, project_directory: str,
         profiles: tuple[str, ...], env_files: tuple[str, ...], registry: str,
         names: tuple[str, ...]) -> None:
    """Tag the images of containers or a Compose project for --registry and push them."""
    from pallet.cli.commands import credstore
    from pallet.cli.progress import show
    from pallet.kube import generate as gen

    client = api()
    project = gen.source_project(client, list(names), _project(
        compose, names, files, project_name, project_directory, profiles, env_files))
    for target, resp in gen.push(client, project, registry, credstore.header_for(registry,
                                                                                is_server=True)):
        echo(f"Pushing {target}")
        show(resp.chunks(), lambda text: sys.stdout.write(text))


@command()
@option("--down", is_flag=True, help="Remove what an earlier play of FILE made")
@option("--name", default="", help="Name of the play (default: FILE's name)")
@argument("file", metavar="FILE")
def play(down: bool, name: str, file: str) -> None:
    """Run Deployments, Services, Secrets, ConfigMaps and claims as containers, networks
    and volumes."""
    import os

    from pallet.kube import emit
    from pallet.kube import play as player
    from pallet.kube.quantities import dns_name

    name = name or dns_name(os.path.basename(file.rstrip("/")).rsplit(".", 1)[0])
    client = api()
    if down:
        for what in player.down(client, name):
            echo(f"Removed {what}")
        return
    for text in player.play(client, emit.load(file), name):
        echo(f"WARNING: {text}", err=True)
    echo(f"Play {name} is up (pallet kube play --down {file} removes it)")
