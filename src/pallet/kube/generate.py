"""``pallet kube generate`` and ``pallet kube push`` as functions over a client: the
source (containers or a compose project) read, converted, validated; or its images tagged
for the target registry and pushed.
"""

from __future__ import annotations

from collections.abc import Iterator

from pallet.client import Client
from pallet.client.http import Response
from pallet.compose.model import Project
from pallet.errors import InvalidArgument
from pallet.kube.convert import Inputs, Options, Result, convert, image_name
from pallet.kube.gather import containers_project, file_contents, image_facts


def source_project(client: Client, containers: list[str], project: Project | None) -> Project:
    if project is not None:
        return project
    if not containers:
        raise InvalidArgument("name one or more containers, or --compose")
    return containers_project(client, containers, "pallet")


def generate(client: Client, project: Project, opts: Options, version: str) -> Result:
    """The objects and warnings; InvalidArgument naming each problem if any object fails
    validation against Kubernetes ``version``."""
    from pallet.kube.validate import check

    warnings: list[str] = []
    images = [s.image for s in project.services.values() if s.image]
    inputs = Inputs(images=image_facts(client, images, warnings), files=file_contents(project))
    result = convert(project, inputs, opts)
    problems = check(result.objects, version)
    if problems:
        raise InvalidArgument("the generated manifests are not valid for Kubernetes "
                              f"{version}; nothing written:\n  " + "\n  ".join(problems))
    result.warnings[:0] = warnings
    return result


def push(client: Client, project: Project, registry: str,
         auth: str) -> Iterator[tuple[str, Response]]:
    """Tag each service's image as ``registry``'s and push it; (name, progress) per image."""
    if not registry:
        raise InvalidArgument("pallet kube push needs --registry")
    done: set[str] = set()
    for name in project.service_names():
        svc = project.services[name]
        local = svc.image or f"{project.name}-{svc.name}"
        target = image_name(svc, project, registry)
        if target in done:
            continue
        done.add(target)
        repo, tag = _split(target)
        client.images.tag(local, repo, tag)
        yield target, client.registry.push(repo, tag, auth=auth)


def _split(image: str) -> tuple[str, str]:
    slash, colon = image.rfind("/"), image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:]
    return image, "latest"
