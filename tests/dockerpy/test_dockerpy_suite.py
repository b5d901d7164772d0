"""docker-py's own integration suite against a real palletd (the ``dockerpy`` tier).

The tests are not part of this repository: at run time the tier downloads the sdist of the
pinned docker-py release from PyPI (``pip download --no-deps --no-binary :all:``) into a cache
directory and runs its ``tests/integration`` with pytest, in a subprocess whose ``DOCKER_HOST``
is the session palletd's socket, against the installed ``docker`` package. docker 7.1.0's sdist
no longer ships ``tests/``; 7.0.0's is the newest 7.x sdist that does, so it is the pin.

The images the suite expects are local stand-ins, nothing is pulled: ``busybox`` is the
bootstrapped busybox, and ``alpine:3.10``/``alpine:latest`` are it with the two things of
Alpine's base the tests use (a ``postgres`` user and ``/var/opt``), built here.
``selection.txt`` lists the tests left out (Docker Hub, swarm, plugins, ...) and the tests
known to fail, each with its reason; any other failure fails the tier.
``PALLET_DOCKERPY_TESTS`` (space-separated files or node ids under ``tests/integration``,
e.g. ``api_image_test.py models_images_test.py``) runs only those.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.dockerpy

RELEASE = "7.0.0"
ALPINE_STAND_IN = b"""FROM busybox
RUN mkdir -p /var/opt && echo 'postgres:x:70:70::/var/lib/postgresql:/bin/sh' >> /etc/passwd \\
 && echo 'postgres:x:70:' >> /etc/group
"""
SELECTION = Path(__file__).with_name("selection.txt")
PER_TEST_TIMEOUT = 180


def _cache_root() -> Path:
    base = os.environ.get("PALLET_TEST_CACHE") or os.path.expanduser("~/.cache/pallet")
    return Path(base) / f"docker-py-{RELEASE}"


def _read_selection() -> tuple[dict[str, str], dict[str, str]]:
    """(deselected, known failures): node id relative to tests/integration -> reason."""
    sections: dict[str, dict[str, str]] = {"deselect": {}, "known-failure": {}}
    current: dict[str, str] | None = None
    for raw in SELECTION.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections[line[1:-1]]
            continue
        node, sep, reason = line.partition("|")
        if current is None or not sep or not reason.strip():
            raise AssertionError(f"{SELECTION.name}: not '<test> | <reason>' in a section: {raw}")
        current[node.strip()] = reason.strip()
    return sections["deselect"], sections["known-failure"]


def _fetch_tests() -> Path:
    """The suite's ``tests/`` directory, downloaded and unpacked once into the cache."""
    root = _cache_root()
    tests = root / "tests"
    if (tests / "integration" / "conftest.py").is_file():
        return root
    root.mkdir(parents=True, exist_ok=True)
    sdist = root / f"docker-{RELEASE}.tar.gz"
    if not sdist.is_file():
        res = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--disable-pip-version-check", "-d", str(root), f"docker=={RELEASE}"],
            capture_output=True, text=True, timeout=600,
        )
        if res.returncode != 0 or not sdist.is_file():
            pytest.fail(f"pip download docker=={RELEASE} failed:\n{res.stdout}\n{res.stderr}",
                        pytrace=False)
    prefix = f"docker-{RELEASE}/tests/"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        if not any(m.name.startswith(prefix + "integration/") for m in members):
            pytest.fail(f"the docker {RELEASE} sdist has no tests/integration", pytrace=False)
        for m in members:
            m.name = m.name[len(f"docker-{RELEASE}/"):]
        tar.extractall(root, members=members, filter="data")
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


def _targets() -> list[str]:
    """The suite, or the files and tests named in ``PALLET_DOCKERPY_TESTS``."""
    only = os.environ.get("PALLET_DOCKERPY_TESTS", "").split()
    return [f"tests/integration/{t}" for t in only] or ["tests/integration"]


def _make_stand_ins(palletd: Any, busybox: str) -> None:
    status, body = palletd.request("POST", f"/images/{busybox}/tag?repo=busybox&tag=latest")
    if status >= 300:
        raise AssertionError(f"tagging {busybox} as busybox:latest: {status} {body[:300]!r}")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(ALPINE_STAND_IN)
        tar.addfile(info, io.BytesIO(ALPINE_STAND_IN))
    status, body = palletd.request(
        "POST", "/build?t=alpine:3.10&t=alpine:latest&rm=1", body=context.getvalue(),
        headers={"Content-Type": "application/x-tar"}, timeout=300)
    if status >= 300 or b"errorDetail" in body:
        raise AssertionError(f"building the alpine stand-in: {status} {body[-500:]!r}")


def _results(junit: Path) -> dict[str, str]:
    """Node id (relative to tests/integration) -> passed/failed/skipped."""
    outcome: dict[str, str] = {}
    for case in ET.parse(junit).iter("testcase"):
        module = case.get("classname", "").removeprefix("tests.integration.")
        parts = module.split(".")
        if parts[-1][:1].isupper():  # a test class
            node = f"{'/'.join(parts[:-1])}.py::{parts[-1]}::{case.get('name')}"
        else:  # a module-level test function
            node = f"{'/'.join(parts)}.py::{case.get('name')}"
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            outcome[node] = "failed"
        elif "skipped" in kinds:
            outcome[node] = "skipped"
        else:
            outcome[node] = "passed"
    return outcome


@pytest.mark.timeout(3600)
def test_docker_py_integration_suite(palletd: Any, busybox: str) -> None:
    """Every selected docker-py integration test passes, apart from the listed known failures."""
    import docker

    if not docker.__version__.startswith("7."):
        pytest.fail(f"docker-py {docker.__version__} is installed; the tier pins 7.x",
                    pytrace=False)
    deselected, known = _read_selection()
    root = _fetch_tests()
    _make_stand_ins(palletd, busybox)
    junit = root / "junit.xml"
    argv = [sys.executable, "-m", "pytest", "-c", str(root / "pytest.ini"), "--rootdir",
            str(root), "-p", "no:cacheprovider", "-q", "-rfE", "--tb=short",
            f"--timeout={PER_TEST_TIMEOUT}", f"--junitxml={junit}", *_targets()]
    for node in deselected:
        target = f"tests/integration/{node}"
        argv += ["--ignore", target] if "::" not in node else ["--deselect", target]
    # a fresh client config per run: docker-py keeps its contexts beside config.json
    config = root / "docker-config"
    shutil.rmtree(config, ignore_errors=True)
    shutil.rmtree(root / "contexts", ignore_errors=True)
    config.mkdir()
    (config / "config.json").write_text("{}")
    env = {**palletd.env, "DOCKER_CONFIG": str(config)}
    res = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True,
                         timeout=3600)
    if not junit.is_file():
        pytest.fail(f"the docker-py suite did not run:\n{res.stdout[-4000:]}\n{res.stderr}",
                    pytrace=False)
    outcome = _results(junit)
    counts = {k: sum(1 for v in outcome.values() if v == k)
              for k in ("passed", "failed", "skipped")}
    print(f"\ndocker-py {RELEASE} integration suite against palletd: {counts}"
          f" ({len(deselected)} deselections)")
    failed = sorted(n for n, v in outcome.items() if v == "failed")
    unexpected = [n for n in failed if n not in known]
    for node in failed:
        print(f"  failed: {node}" + (f" (known: {known[node]})" if node in known else ""))
    assert not unexpected, (
        f"{len(unexpected)} docker-py test(s) failed against palletd:\n"
        + "\n".join(unexpected) + "\n\n" + res.stdout[-8000:]
    )
