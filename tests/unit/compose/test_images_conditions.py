"""Which images ``up`` builds or pulls (Compose v2's pull_policy and --build rules), and
how a dependency's inspect documents answer its ``depends_on`` condition."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from pallet.compose import conditions
from pallet.compose.imageplan import image_actions
from pallet.compose.model import Project
from pallet.errors import NotFound


def project(**services: dict[str, Any]) -> Project:
    for name, svc in services.items():
        svc["name"] = name
    return msgspec.convert({"name": "p", "services": services}, Project)


BUILT = {"build": {"context": "/src"}}


@pytest.mark.parametrize(("svc", "present", "flags", "expected"), [
    ({"image": "busybox"}, set(), {}, "pull"),  # missing: pulled
    ({"image": "busybox"}, {"busybox"}, {}, None),  # present: left alone
    ({"image": "busybox", "pull_policy": "always"}, {"busybox"}, {}, "pull"),
    ({"image": "busybox"}, {"busybox"}, {"pull": "always"}, "pull"),  # up --pull always
    (BUILT, set(), {}, "build"),  # only built, image missing: built as p-s
    (BUILT, {"p-s"}, {}, None),  # built before: kept
    (BUILT, {"p-s"}, {"build": True}, "build"),  # --build
    ({**BUILT, "pull_policy": "build"}, {"p-s"}, {}, "build"),
    (BUILT, set(), {"no_build": True}, "missing"),  # --no-build and nothing to pull
    ({**BUILT, "image": "app:1"}, set(), {"no_build": True}, "pull"),
    ({"image": "busybox", "pull_policy": "never"}, set(), {}, "missing"),
])
def test_image_actions(svc: dict[str, Any], present: set[str], flags: dict[str, Any],
                       expected: str | None) -> None:
    proj = project(s=dict(svc))
    if expected == "missing":
        with pytest.raises(NotFound):
            image_actions(proj, ["s"], present, **flags)
        return
    actions = image_actions(proj, ["s"], present, **flags)
    assert [a.action for a in actions] == ([expected] if expected else [])


def test_one_image_shared_by_services_is_pulled_once() -> None:
    proj = project(a={"image": "busybox"}, b={"image": "busybox"})
    assert len(image_actions(proj, ["a", "b"], set())) == 1


def doc(status: str = "running", health: str | None = None, code: int = 0) -> dict[str, Any]:
    state: dict[str, Any] = {"Status": status, "ExitCode": code}
    if health:
        state["Health"] = {"Status": health}
    return {"Name": "/p-db-1", "State": state}


@pytest.mark.parametrize(("condition", "docs", "expected"), [
    ("service_healthy", [doc(health="starting")], conditions.WAIT),
    ("service_healthy", [doc(health="healthy")], conditions.DONE),
    ("service_healthy", [doc(health="healthy"), doc(health="starting")], conditions.WAIT),
    ("service_healthy", [doc(health="unhealthy")], "is unhealthy"),
    ("service_healthy", [doc()], "has no healthcheck configured"),
    ("service_healthy", [doc("exited", code=2)], "exited (2)"),
    ("service_completed_successfully", [doc()], conditions.WAIT),
    ("service_completed_successfully", [doc("exited")], conditions.DONE),
    ("service_completed_successfully", [doc("exited", code=1)], "exit 1"),
    ("running_or_healthy", [doc()], conditions.DONE),
    ("running_or_healthy", [doc("created")], conditions.WAIT),
    ("running_or_healthy", [doc(health="starting")], conditions.WAIT),
    ("service_started", [doc("created")], conditions.DONE),
])
def test_conditions(condition: str, docs: list[dict[str, Any]], expected: str) -> None:
    if expected in (conditions.DONE, conditions.WAIT):
        assert conditions.judge(condition, "db", docs) == expected
    else:
        with pytest.raises(conditions.DependencyFailed, match=expected.replace("(", r"\(")
                           .replace(")", r"\)")):
            conditions.judge(condition, "db", docs)
