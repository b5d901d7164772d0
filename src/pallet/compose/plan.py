"""The planner's vocabulary: what it reads (the desired services, the observed
objects, the command's options) and what it writes (a plan of steps).

A :class:`Plan` is a graph of :class:`Step` values: each names what to do to one
object and the ids of the steps that must finish first. The executor runs a step as
soon as everything it waits for is done, so independent steps run at once. The
observed side is what the engine reports through the project labels; the desired
side is the loaded model reduced to what decisions need (the config hash stands for
everything else about a service).
"""

from __future__ import annotations

from typing import Literal

import msgspec

Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]
Recreate = Literal["diverged", "force", "never"]
StepKind = Literal[
    "create_network", "create_volume",
    "create_container", "recreate_container", "start_container", "wait_dependency",
    "stop_container", "remove_container", "stop_remove_container",
    "remove_network", "remove_volume", "remove_image",
]


class Dependency(msgspec.Struct, frozen=True):
    condition: Condition = "service_started"
    restart: bool = False
    required: bool = True


class DesiredService(msgspec.Struct, frozen=True):
    """One service as the planner sees it."""

    name: str
    config_hash: str
    scale: int = 1
    depends_on: dict[str, Dependency] = {}
    container_name: str = ""
    networks: list[str] = []  # project network keys
    volumes: list[str] = []  # project volume keys


class DesiredResource(msgspec.Struct, frozen=True):
    """A project network or volume: its key in the file, its engine name and its config
    hash (Compose v2's label; "" when unknown)."""

    key: str
    name: str
    external: bool = False
    config_hash: str = ""


class Desired(msgspec.Struct, frozen=True):
    project: str
    services: list[DesiredService]
    networks: list[DesiredResource] = []
    volumes: list[DesiredResource] = []
    # False for a project read back from labels: its services' networks and volumes
    # are unknown
    complete: bool = True


class ObservedContainer(msgspec.Struct, frozen=True):
    id: str
    name: str
    service: str
    number: int = 0
    state: str = "running"  # created running paused restarting exited dead
    config_hash: str = ""
    oneoff: bool = False


class Observed(msgspec.Struct, frozen=True):
    containers: list[ObservedContainer] = []
    networks: list[str] = []  # engine names present
    volumes: list[str] = []
    network_hashes: dict[str, str] = {}  # engine name -> config hash label, where set
    volume_hashes: dict[str, str] = {}


class UpOptions(msgspec.Struct, frozen=True):
    services: list[str] = []  # empty: every service
    recreate: Recreate = "diverged"  # for the named services
    recreate_deps: Recreate = "diverged"  # for the ones pulled in as dependencies
    no_deps: bool = False
    remove_orphans: bool = False
    scale: dict[str, int] = {}
    start: bool = True  # False: ``compose create``
    # volumes (keys) whose configuration changed that the user agreed to make again
    renew_volumes: list[str] = []


class DownOptions(msgspec.Struct, frozen=True):
    services: list[str] = []
    timeout: int | None = None  # -t: the stop grace period (None: each container's own)
    volumes: bool = False
    remove_orphans: bool = False
    images: list[str] = []  # image references --rmi chose


class Step(msgspec.Struct, frozen=True):
    """One action on one object; ``after`` lists the step ids it waits for."""

    id: str
    kind: StepKind
    service: str = ""
    name: str = ""  # the engine name (container, network, volume, image)
    key: str = ""  # the network or volume key in the file
    container: str = ""  # the existing container's id (recreate, start, stop, remove)
    number: int = 0
    condition: Condition = "service_started"
    required: bool = True
    after: tuple[str, ...] = ()


class Plan(msgspec.Struct):
    steps: list[Step] = []
    warnings: list[str] = []
    running: list[str] = []  # containers already up to date and running (reported only)

    def add(self, step: Step) -> str:
        self.steps.append(step)
        return step.id

    def ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def by_id(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
