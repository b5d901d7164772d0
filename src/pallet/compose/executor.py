"""Runs a plan against the engine: each step as soon as the steps it waits for are done,
independent steps at once on a thread pool. No decisions are made here (the planner
made them); a step turns into Engine API calls, the model into create bodies
(:mod:`pallet.compose.convert`), and a dependency wait into polling judged by
:mod:`pallet.compose.conditions`. The first failure stops new steps from starting; the
ones already running finish, then the error is raised.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from pallet.compose import conditions, labels
from pallet.compose.confighash import ProjectHashes
from pallet.compose.convert import (
    container_body,
    image_name,
    inherit_anonymous,
    network_body,
    volume_body,
)
from pallet.compose.desired import networks
from pallet.compose.engine import Engine
from pallet.compose.model import Project
from pallet.compose.mounts import filesystem
from pallet.compose.plan import Plan, Step
from pallet.compose.progress import Progress
from pallet.compose.secretfiles import (
    archive,
    content,
    remove_files,
    secrets_root,
    write_file,
)
from pallet.errors import Conflict, Forbidden, InvalidArgument, NotFound

POLL = 0.1  # seconds between dependency checks


def run_steps(plan: Plan, action: Callable[[Step], None], parallel: int = 8) -> None:
    """Run every step after the steps it names in ``after`` (ids not in the plan
    count as done); at most ``parallel`` at once. A thread that finished a step takes
    the next ready one, so a plan starts only as many threads as ran at once (a thread
    costs ~0.1 ms of CPU: a 20-service up has ~50 steps)."""
    pending = {s.id: s for s in plan.steps}
    done: set[str] = set()
    known = set(pending)
    running = workers = 0
    failure: BaseException | None = None
    ready: queue.SimpleQueue[Step | None] = queue.SimpleQueue()
    ended: queue.SimpleQueue[tuple[str, BaseException | None]] = queue.SimpleQueue()

    def work() -> None:
        while (step := ready.get()) is not None:
            try:
                action(step)
            except BaseException as err:
                ended.put((step.id, err))
            else:
                ended.put((step.id, None))

    try:
        while pending or running:
            if failure is None:
                for sid, step in list(pending.items()):
                    if running >= max(1, parallel):
                        break
                    if all(a in done or a not in known for a in step.after):
                        del pending[sid]
                        if workers == running:  # none idle
                            threading.Thread(target=work, daemon=True).start()
                            workers += 1
                        running += 1
                        ready.put(step)
            if not running:
                if pending and failure is None:
                    raise InvalidArgument(
                        f"plan steps wait for each other: {sorted(pending)}")
                break
            sid, err = ended.get()
            running -= 1
            if err is not None:
                failure = failure or err
            else:
                done.add(sid)
    finally:
        for _ in range(workers):
            ready.put(None)
    if failure is not None:
        raise failure


class Executor:
    """Carries out one project's plan steps through an :class:`Engine`."""

    def __init__(self, engine: Engine, project: Project, progress: Progress, *,
                 timeout: int | None = None, remove_volumes: bool = False,
                 files_root: str | None = None, renew_anonymous: bool = False) -> None:
        self.engine = engine
        self.project = project
        self.progress = progress
        self.timeout = timeout
        self.remove_volumes = remove_volumes
        self.renew_anonymous = renew_anonymous
        self.files_root = files_root or secrets_root()
        self.ids: dict[str, str] = {}  # container name -> id, for containers made here
        self.lock = threading.Lock()
        # containers that publish ports start one at a time: an engine may hand two
        # concurrent starts the same free host port (dockerd does; Compose v2 takes a
        # lock for it). The others start at once, as Compose v2.40 starts an up's
        # containers (20 services: 0.9x the wall time of one at a time on palletd)
        self.start_lock = threading.Lock()
        self.image_ids: dict[str, str] = {}
        self._hashes: ProjectHashes | None = None

    def hashes(self) -> ProjectHashes:
        with self.lock:
            if self._hashes is None:
                self._hashes = ProjectHashes(self.project)
            return self._hashes

    def config_hash(self, service: str) -> str:
        return self.hashes().services[service]

    def run(self, plan: Plan, parallel: int = 8) -> None:
        for w in plan.warnings:
            self.progress.warn(w)
        for name in plan.running:
            self.progress.event("Container", name, "Running")
        run_steps(plan, self.step, parallel if parallel > 0 else 64)

    def step(self, step: Step) -> None:
        getattr(self, step.kind)(step)

    # networks and volumes ------------------------------------------------
    def create_network(self, step: Step) -> None:
        net = networks(self.project)[step.key]
        self.progress.event("Network", step.name, "Creating")
        body = network_body(self.project, step.key, net)
        _label_hash(body, self.hashes().networks.get(step.key))
        try:
            self.engine.create_network(body)
        except Conflict:
            pass  # made meanwhile (another compose run)
        self.progress.event("Network", step.name, "Created")

    def create_volume(self, step: Step) -> None:
        vol = (self.project.volumes or {})[step.key]
        self.progress.event("Volume", step.name, "Creating")
        body = volume_body(self.project, step.key, vol)
        _label_hash(body, self.hashes().volumes.get(step.key))
        self.engine.create_volume(body)
        self.progress.event("Volume", step.name, "Created")

    def _remove(self, kind: str, name: str, call: Callable[[str], None],
                in_use: type[Exception] | None = None) -> None:
        """Remove one object; one still in use (``in_use``: the engine's error for it) is
        reported and left, as Compose v2 leaves it, without failing the command."""
        self.progress.event(kind, name, "Removing")
        try:
            call(name)
        except NotFound:
            return
        except Exception as err:
            if in_use is None or not isinstance(err, in_use):
                raise
            self.progress.event(kind, name, "Resource is still in use")
            return
        self.progress.event(kind, name, "Removed")

    def remove_network(self, step: Step) -> None:
        # dockerd (and palletd) refuse a network with endpoints as Forbidden
        self._remove("Network", step.name, self.engine.remove_network, Forbidden)

    def remove_volume(self, step: Step) -> None:
        self._remove("Volume", step.name, self.engine.remove_volume, Conflict)

    def remove_image(self, step: Step) -> None:
        self._remove("Image", step.name, self.engine.remove_image)

    # containers ----------------------------------------------------------
    def _image_id(self, ref: str) -> str:
        with self.lock:
            if ref not in self.image_ids:
                self.image_ids[ref] = self.engine.image_id(ref) or ""
            return self.image_ids[ref]

    def _shared(self, service: str) -> dict[str, str]:
        """IDs of the first containers of the services this one shares namespaces with."""
        svc = self.project.services[service]
        refs = [m.removeprefix("service:") for m in (svc.network_mode, svc.ipc, svc.pid)
                if m and m.startswith("service:")]
        refs += [v.partition(":")[0] for v in svc.volumes_from or []
                 if not v.startswith("container:")]
        shared: dict[str, str] = {}
        for ref in refs:
            found = self.engine.containers(self.project.name,
                                           extra=[labels.service_filter(ref)])
            if not found:
                raise NotFound(f"cannot share with service {ref}: container missing")
            found.sort(key=lambda c: labels.number_of(c.get("Labels") or {}))
            shared[ref] = str(found[0]["Id"])
        return shared

    def _create(self, step: Step, name: str, inherit: list[dict[str, Any]] | None = None
                ) -> str:
        svc = self.project.services[step.service]
        host_dir = os.path.join(self.files_root, self.project.name, step.name)
        fs = filesystem(self.project, svc, host_dir)
        local = self.engine.is_local()
        if local:
            for spec in fs.files:
                write_file(spec, self.project.environment)
        elif fs.files:
            if svc.read_only:
                raise InvalidArgument(f"cannot create secrets or configs in read-only "
                                      f"service {step.service} on a remote engine")
            fs.binds = [b for b in fs.binds if not b.startswith(host_dir + os.sep)]
        body = container_body(self.project, svc, name=step.name, number=step.number,
                              config_hash=self.config_hash(step.service), fs=fs,
                              image_id=self._image_id(image_name(self.project, svc)),
                              shared=self._shared(step.service))
        if inherit and not self.renew_anonymous:
            inherit_anonymous(body, inherit)
        later = split_endpoints(body, self.engine.api_version())
        cid = self.engine.create_container(name, body)
        for network, endpoint in later.items():
            self.engine.connect_network(network, cid, endpoint)
        if not local:
            for spec in fs.files:
                data = archive(spec, content(spec, self.project.environment))
                self.engine.put_archive(cid, "/", data)
        return cid

    def create_container(self, step: Step) -> None:
        self.progress.event("Container", step.name, "Creating")
        cid = self._create(step, step.name)
        with self.lock:
            self.ids[step.name] = cid
        self.progress.event("Container", step.name, "Created")

    def recreate_container(self, step: Step) -> None:
        self.progress.event("Container", step.name, "Recreate")
        tmp = f"{step.container[:12]}_{step.name}"
        old = self.engine.inspect_container(step.container).get("Mounts") or []
        cid = self._create(step, tmp, inherit=old)
        self.engine.stop(step.container, self.timeout)
        self.engine.remove(step.container, force=True)
        self.engine.rename(cid, step.name)
        with self.lock:
            self.ids[step.name] = cid
        self.progress.event("Container", step.name, "Recreated")

    def start_container(self, step: Step) -> None:
        ref = step.container or self.ids.get(step.name, step.name)
        self.progress.event("Container", step.name, "Starting")
        svc = self.project.services.get(step.service)
        if svc is None or svc.ports:
            with self.start_lock:
                self.engine.start(ref)
        else:
            self.engine.start(ref)
        self.progress.event("Container", step.name, "Started")

    def stop_container(self, step: Step) -> None:
        self.progress.event("Container", step.name, "Stopping")
        self.engine.stop(step.container or step.name, self.timeout)
        self.progress.event("Container", step.name, "Stopped")

    def remove_container(self, step: Step) -> None:
        self.progress.event("Container", step.name, "Removing")
        self._force_remove(step)
        self.progress.event("Container", step.name, "Removed")

    def stop_remove_container(self, step: Step) -> None:
        """A stop that would end in SIGKILL at once (or find nothing running) and the
        removal, as one forced removal (which kills); reported as the two."""
        self.progress.event("Container", step.name, "Stopping")
        self._force_remove(step)
        for status in ("Stopped", "Removing", "Removed"):
            self.progress.event("Container", step.name, status)

    def _force_remove(self, step: Step) -> None:
        try:
            self.engine.remove(step.container or step.name, force=True,
                               volumes=self.remove_volumes)
        except NotFound:
            pass
        remove_files(os.path.join(self.files_root, self.project.name, step.name))

    def wait_dependency(self, step: Step, poll: float = POLL) -> None:
        """Wait until ``step.service``'s containers meet ``step.condition``."""
        found = self.engine.containers(self.project.name,
                                       extra=[labels.service_filter(step.service)])
        found = [c for c in found if not labels.is_oneoff(c.get("Labels") or {})]
        names = [str((c.get("Names") or ["/?"])[0]).lstrip("/") for c in found]
        for n in names:
            self.progress.event("Container", n, "Waiting")
        try:
            while True:
                docs = [self.engine.inspect_container(str(c["Id"])) for c in found]
                if conditions.judge(step.condition, step.service, docs) == conditions.DONE:
                    break
                time.sleep(poll)
        except conditions.DependencyFailed as err:
            if step.required:
                for n in names:
                    self.progress.event("Container", n, "Error")
                raise DependencyFailed(f"dependency failed to start: {err.message}") from None
            self.progress.warn(f"optional dependency {step.service!r} failed: {err.message}")
            return
        done = "Exited" if step.condition == "service_completed_successfully" else "Healthy"
        for n in names:
            self.progress.event("Container", n, done)


DependencyFailed = conditions.DependencyFailed


def _label_hash(body: dict[str, Any], config_hash: str | None) -> None:
    """Label a network or volume with its config hash, as Compose v2 does."""
    if config_hash:
        body["Labels"][labels.CONFIG_HASH] = config_hash


def split_endpoints(body: dict[str, Any], version: str) -> dict[str, dict[str, Any]]:
    """Before API 1.44 a create takes one network: keep the primary in ``body`` and
    return the others, to be connected once the container exists."""
    try:
        if tuple(int(p) for p in version.split(".")) >= (1, 44):
            return {}
    except ValueError:
        return {}
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    primary = (body.get("HostConfig") or {}).get("NetworkMode")
    later = {n: ep for n, ep in endpoints.items() if n != primary}
    for n in later:
        del endpoints[n]
    return later
