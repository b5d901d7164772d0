"""Compose v2's labels and names: how a project's containers, networks and volumes
are marked and called on the engine, so that ``pallet compose`` and ``docker compose``
find and manage each other's projects.

A service container is ``PROJECT-SERVICE-N`` (or its ``container_name``) and carries
the project, service, container number, one-off flag, config hash, working directory,
config files and the compose version; a network is ``PROJECT_KEY`` (``PROJECT_default``)
and a volume ``PROJECT_KEY``, each labelled with its project and key. Everything here
is pure: names in, names and label maps out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PREFIX = "com.docker.compose."
PROJECT = PREFIX + "project"
SERVICE = PREFIX + "service"
CONTAINER_NUMBER = PREFIX + "container-number"
ONEOFF = PREFIX + "oneoff"
SLUG = PREFIX + "slug"
CONFIG_HASH = PREFIX + "config-hash"
WORKING_DIR = PREFIX + "project.working_dir"
CONFIG_FILES = PREFIX + "project.config_files"
ENVIRONMENT_FILE = PREFIX + "project.environment_file"
DEPENDS_ON = PREFIX + "depends_on"
IMAGE = PREFIX + "image"
VERSION = PREFIX + "version"
NETWORK = PREFIX + "network"
VOLUME = PREFIX + "volume"
REPLACE = PREFIX + "replace"

# The Compose version pallet's labels claim: a version docker compose accepts as
# its own when it reads the project back.
COMPOSE_VERSION = "2.29.0"
SEPARATOR = "-"

_NAME_CHARS = re.compile(r"[^a-z0-9_-]")


def normalize_project_name(name: str) -> str:
    """Compose's rule: lower case, only ``a-z0-9_-``, starting with a letter or digit."""
    cleaned = _NAME_CHARS.sub("", name.lower())
    return cleaned.lstrip("_-")


def container_name(project: str, service: str, number: int) -> str:
    """``PROJECT-SERVICE-N``: a replica's default name."""
    return SEPARATOR.join((project, service, str(number)))


def oneoff_name(project: str, service: str, slug: str) -> str:
    """``PROJECT-SERVICE-run-SLUG12``: a ``compose run`` container's default name."""
    return SEPARATOR.join((project, service, "run", slug[:12]))


def resource_name(project: str, key: str) -> str:
    """``PROJECT_KEY``: a project network's or volume's default engine name."""
    return f"{project}_{key}"


def project_filter(project: str) -> str:
    """The ``label=`` filter value that selects one project's objects."""
    return f"{PROJECT}={project}"


def service_filter(service: str) -> str:
    return f"{SERVICE}={service}"


def container_labels(
    project: str,
    service: str,
    *,
    number: int | None,
    config_hash: str,
    working_dir: str,
    config_files: list[str],
    env_files: list[str],
    depends_on: list[str],
    image_id: str = "",
    slug: str = "",
) -> dict[str, str]:
    """The labels Compose v2 puts on a service container (``number`` None: a one-off
    ``run`` container, which has no number and ``oneoff=True``)."""
    labels = {
        PROJECT: project,
        SERVICE: service,
        VERSION: COMPOSE_VERSION,
        WORKING_DIR: working_dir,
        CONFIG_FILES: ",".join(config_files),
        ONEOFF: "True" if number is None else "False",
        CONFIG_HASH: config_hash,
        DEPENDS_ON: ",".join(depends_on),
    }
    if number is not None:
        labels[CONTAINER_NUMBER] = str(number)
    if env_files:
        labels[ENVIRONMENT_FILE] = ",".join(env_files)
    if image_id:
        labels[IMAGE] = image_id
    if slug:
        labels[SLUG] = slug
    return labels


def network_labels(project: str, key: str) -> dict[str, str]:
    return {NETWORK: key, PROJECT: project, VERSION: COMPOSE_VERSION}


def volume_labels(project: str, key: str) -> dict[str, str]:
    return {VOLUME: key, PROJECT: project, VERSION: COMPOSE_VERSION}


def depends_on_label(deps: Mapping[str, tuple[str, bool]]) -> list[str]:
    """``SERVICE:CONDITION:RESTART`` entries, as the depends_on label lists them."""
    return [f"{name}:{cond}:{'true' if restart else 'false'}"
            for name, (cond, restart) in sorted(deps.items())]


def number_of(labels: dict[str, str]) -> int:
    """A container's replica number (0 when the label is missing or not a number)."""
    try:
        return int(labels.get(CONTAINER_NUMBER, "0"))
    except ValueError:
        return 0


def is_oneoff(labels: dict[str, str]) -> bool:
    return labels.get(ONEOFF) == "True"
