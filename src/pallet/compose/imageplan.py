"""Which service images ``up``/``create``/``run`` build or pull before any container is
made, by Compose v2's rules: a service with ``build`` is built when ``--build`` asks,
its ``pull_policy`` is ``build``, or its image is missing (``--no-build`` never builds);
an image-only service is pulled when its ``pull_policy`` is ``always``, or when the
image is missing and the policy is not ``never`` (then a missing image is an error).
Pure: the caller says which images the engine has.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from pallet.compose.convert import image_name
from pallet.compose.model import Project
from pallet.errors import NotFound


class ImageAction(msgspec.Struct, frozen=True):
    service: str
    image: str
    action: str  # "build" | "pull"


def image_actions(project: Project, services: Iterable[str], present: set[str], *,
                  build: bool = False, no_build: bool = False,
                  pull: str = "") -> list[ImageAction]:
    """The builds and pulls ``services`` need (``pull`` is ``up --pull``'s policy,
    overriding each service's)."""
    actions: list[ImageAction] = []
    seen: set[str] = set()
    for name in sorted(services):
        svc = project.services[name]
        image = image_name(project, svc)
        policy = pull or svc.pull_policy or "missing"
        missing = image not in present
        if svc.build is not None and not no_build:
            if build or policy == "build" or (missing and policy != "always"):
                if image not in seen:
                    actions.append(ImageAction(name, image, "build"))
                    seen.add(image)
                continue
        if policy == "always" or (missing and policy in ("missing", "if_not_present",
                                                          "daily", "weekly")):
            if svc.image is None:
                if missing:
                    raise NotFound(f"service {name!r} has neither an image nor a build "
                                   "context specified")
                continue
            if image not in seen:
                actions.append(ImageAction(name, image, "pull"))
                seen.add(image)
        elif missing and policy == "never":
            raise NotFound(f"No such image: {image}")
    return actions
