"""The project-wide operations the commands run: read what the engine holds, plan,
execute. ``up``, ``down``, ``start`` and ``stop``/``rm`` each take the loaded project
(``down``/``stop`` also work from the engine's labels alone, for ``-p NAME`` with no
compose file) and report through a :class:`~pallet.compose.progress.Progress`.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from pallet.compose.desired import desired
from pallet.compose.engine import Engine
from pallet.compose.executor import Executor
from pallet.compose.model import Project
from pallet.compose.observed import desired_from_engine, observe
from pallet.compose.plan import Desired, DownOptions, Observed, Plan, UpOptions
from pallet.compose.planner import plan_up
from pallet.compose.progress import Progress
from pallet.compose.remake import diverged
from pallet.compose.stopplan import plan_down, plan_start, plan_stop


def up(engine: Engine, project: Project, opts: UpOptions, progress: Progress,
       timeout: int | None = None, parallel: int = -1,
       image_ids: dict[str, str] | None = None, renew: bool = False,
       observed: Observed | None = None,
       confirm: Callable[[str], bool] = lambda question: False) -> Plan:
    """``image_ids``: the IDs of the images already looked up (by reference);
    ``renew``: recreated containers get new anonymous volumes (``up -V``);
    ``observed``: what the engine holds, when the caller read it already;
    ``confirm``: asked whether a volume whose configuration changed is made again (its
    data lost), as Compose v2 asks."""
    seen = observed if observed is not None else observe(engine, project.name)
    want = desired(project)
    renew_volumes = [v.key for v in diverged(want, seen, True) if confirm(
        f'Volume "{v.name}" exists but doesn\'t match configuration in compose file. '
        "Recreate (data will be lost)?")]
    if renew_volumes:
        opts = msgspec.structs.replace(opts, renew_volumes=renew_volumes)
    plan = plan_up(want, seen, opts)
    executor = Executor(engine, project, progress, timeout=timeout, renew_anonymous=renew)
    executor.image_ids.update(image_ids or {})
    executor.run(plan, parallel)
    return plan


def _target(engine: Engine, project: Project | str) -> tuple[Project, Desired]:
    if isinstance(project, Project):
        return project, desired(project, hashes=False)
    return Project(name=project), desired_from_engine(engine, project)


def down(engine: Engine, project: Project | str, opts: DownOptions, progress: Progress,
         timeout: int | None = None, parallel: int = -1) -> Plan:
    model, want = _target(engine, project)
    observed = observe(engine, model.name)
    plan = plan_down(want, observed, opts)
    if not plan.steps:
        progress.warn(f'Warning: No resource found to remove for project "{model.name}".')
        return plan
    Executor(engine, model, progress, timeout=timeout,
             remove_volumes=opts.volumes).run(plan, parallel)
    return plan


def start(engine: Engine, project: Project | str, services: list[str], progress: Progress,
          parallel: int = -1) -> Plan:
    model, want = _target(engine, project)
    plan = plan_start(want, observe(engine, model.name), services)
    Executor(engine, model, progress).run(plan, parallel)
    return plan


def stop(engine: Engine, project: Project | str, services: list[str], progress: Progress,
         timeout: int | None = None, remove: bool = False, parallel: int = -1) -> Plan:
    model, want = _target(engine, project)
    observed = observe(engine, model.name)
    if not remove:
        running = [c for c in observed.containers if c.state in ("running", "paused",
                                                                  "restarting")]
        observed = type(observed)(running, observed.networks, observed.volumes)
    plan = plan_stop(want, observed, services, remove=remove, timeout=timeout)
    Executor(engine, model, progress, timeout=timeout).run(plan, parallel)
    return plan
