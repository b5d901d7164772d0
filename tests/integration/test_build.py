"""``pallet build`` against a real palletd: multi-stage, cache, secrets, safety, results.

Every build runs through the CLI (context tar, .dockerignore) and POST /build; RUN
steps run in real containers (crun, conmon, overlayfs).
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

MULTI = """\
FROM busybox AS build
WORKDIR /src
COPY app.txt .
RUN mkdir -p /out && tr a-z A-Z < app.txt > /out/artifact && touch /build-only
FROM busybox
COPY --from=build /out/artifact /app/artifact
CMD ["cat", "/app/artifact"]
"""

Build = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def build(palletd: Any, busybox: str, tmp_path: Path) -> Build:
    """``build(dockerfile, files={}, *args)`` writes a context and runs ``pallet build``."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()

    def run(dockerfile: str, files: dict[str, str] | None = None, *args: str,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        (ctx / "Dockerfile").write_text(dockerfile)
        for name, text in (files or {}).items():
            (ctx / name).parent.mkdir(parents=True, exist_ok=True)
            (ctx / name).write_text(text)
        res = palletd.pallet("build", *args, str(ctx), timeout=180)
        if check and res.returncode != 0:
            raise AssertionError(f"build failed: {res.stdout}\n{res.stderr}\n"
                                 f"{palletd.log_tail()}")
        return res

    run.ctx = ctx  # type: ignore[attr-defined]
    return run


def _inspect(palletd: Any, ref: str) -> dict[str, Any]:
    out: dict[str, Any] = palletd.json("GET", f"/images/{ref}/json")
    return out


def _mounts_under(base: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [ln.split()[4] for ln in f if ln.split()[4].startswith(str(base))]


def test_multi_stage_and_cache(palletd: Any, build: Build) -> None:
    t0 = time.monotonic()
    first = build(MULTI, {"app.txt": "hello\n"}, "-t", "ms-test:1")
    cold = time.monotonic() - t0
    assert "Step 7/7 : CMD" in first.stdout and "Successfully tagged ms-test:1" in first.stdout
    run = palletd.pallet("run", "--rm", "ms-test:1")
    assert run.stdout == "HELLO\n", run.stderr
    ls = palletd.pallet("run", "--rm", "ms-test:1", "ls", "/build-only", "/src")
    assert ls.returncode != 0 and "No such file" in ls.stderr
    history = palletd.json("GET", "/images/ms-test:1/history")
    assert [h["CreatedBy"] for h in history][:2] == [
        'CMD ["cat", "/app/artifact"]', "COPY --from=build /out/artifact /app/artifact # buildkit"]

    t0 = time.monotonic()
    again = build(MULTI, {}, "-t", "ms-test:1")
    cached = time.monotonic() - t0
    assert again.stdout.count("Using cache") == 5, again.stdout
    assert "Running in" not in again.stdout
    first_id = _inspect(palletd, "ms-test:1")["Id"]
    assert again.stdout.strip().endswith("Successfully tagged ms-test:1")
    print(f"\nmulti-stage build: cold {cold:.2f}s, fully cached {cached:.2f}s")
    assert cached < 1.5

    changed = build(MULTI, {"app.txt": "changed\n"}, "-t", "ms-test:1")
    assert changed.stdout.count("Using cache") == 1  # WORKDIR only; COPY and later rerun
    assert "Running in" in changed.stdout
    assert _inspect(palletd, "ms-test:1")["Id"] != first_id
    assert palletd.pallet("run", "--rm", "ms-test:1").stdout == "CHANGED\n"
    palletd.pallet("rmi", "ms-test:1")


def test_secret_never_stored(palletd: Any, build: Build, tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("S3CRET-VALUE-4711")
    df = ("FROM busybox\n"
          "RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /hash"
          " && stat -c %a /run/secrets/tok\n")
    res = build(df, {}, "--secret", f"id=tok,src={secret}", "-t", "secret-test")
    assert "400" in res.stdout  # mode 0400, readable by root in the step
    import hashlib

    want = hashlib.sha256(b"S3CRET-VALUE-4711").hexdigest()
    assert palletd.pallet("run", "--rm", "secret-test", "cat", "/hash").stdout.strip() == want
    assert palletd.pallet("run", "--rm", "secret-test", "ls", "/run/secrets").returncode != 0
    saved = tmp_path / "img.tar"
    assert palletd.pallet("save", "-o", str(saved), "secret-test").returncode == 0
    data = saved.read_bytes()
    assert b"S3CRET-VALUE-4711" not in data
    with tarfile.open(saved) as outer:
        for m in outer.getmembers():
            f = outer.extractfile(m)
            if f is not None and f.read(262)[257:262] == b"ustar":
                f.seek(0)
                with tarfile.open(fileobj=f) as layer:
                    assert not any("secrets" in x.name for x in layer.getmembers())
    hist = palletd.pallet("history", "--no-trunc", "secret-test").stdout
    assert "S3CRET" not in hist and "sha256sum /run/secrets/tok" in hist
    assert "S3CRET" not in json.dumps(_inspect(palletd, "secret-test"))
    assert "S3CRET" not in res.stdout + res.stderr
    assert "S3CRET" not in palletd.log.read_text(errors="replace")
    palletd.pallet("rmi", "secret-test")


def test_failing_run_leaves_nothing(palletd: Any, build: Build) -> None:
    before_images = {i["Id"] for i in palletd.json("GET", "/images/json")}
    res = build("FROM busybox\nRUN echo first-line; echo last-line; exit 7\n", {}, "-t",
                "fail-test", check=False)
    assert res.returncode == 1
    assert "last-line" in res.stdout
    assert "returned a non-zero code: 7" in res.stderr
    assert palletd.json("GET", "/containers/json?all=1") == []
    assert {i["Id"] for i in palletd.json("GET", "/images/json")} == before_images
    assert _mounts_under(palletd.root) == []
    quiet = build("FROM busybox\nRUN echo only-in-error; exit 2\n", {}, "-q", check=False)
    assert quiet.stdout == "" and "only-in-error" in quiet.stderr


def test_context_escapes_refused(palletd: Any, build: Build, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("outside")
    os.symlink(str(tmp_path / "outside.txt"), build.ctx / "link")  # type: ignore[attr-defined]
    res = build("FROM busybox\nCOPY link /x\n", {}, check=False)
    assert res.returncode == 1 and "file not found in build context" in res.stderr
    res = build("FROM busybox\nCOPY ../outside.txt /x\n", {}, check=False)
    assert "forbidden path outside the build context" in res.stderr
    res = build("FROM busybox\nRUN --mount=type=bind,source=../,target=/m true\n", {},
                check=False)
    assert "forbidden path outside the build context" in res.stderr
    os.unlink(build.ctx / "link")  # type: ignore[attr-defined]


def test_instructions_and_config(palletd: Any, build: Build, tmp_path: Path) -> None:
    arch = tmp_path / "payload"
    arch.mkdir()
    (arch / "inner.txt").write_text("inner")
    subprocess.run(["tar", "czf", str(build.ctx / "payload.tgz"), "-C", str(arch), "."],  # type: ignore[attr-defined]
                   check=True)
    df = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM ${BASE} AS base
ARG WHO=world
ENV GREETING="hello ${WHO}" \\
    EMPTY=${NOTSET:-fallback}
WORKDIR /app
COPY --chown=1000:1000 --chmod=640 a.txt ./
ADD payload.tgz /unpacked/
COPY <<EOF /etc/motd
motd for ${WHO}
EOF
RUN <<EOF
set -e
addgroup -g 1001 -S appgroup
adduser -S appuser -u 1001 -G appgroup
echo "$GREETING" > /app/greeting
EOF
RUN --mount=type=cache,target=/cache echo x >> /cache/count && wc -l < /cache/count > /count
EXPOSE 8080 9000/udp
LABEL org.example.kind=test "two words"=yes
USER appuser
HEALTHCHECK --interval=2s --timeout=1s --retries=2 CMD test -f /app/greeting
STOPSIGNAL SIGINT
VOLUME ["/data"]
ONBUILD RUN echo triggered > /tmp/onbuild
ENTRYPOINT ["sh", "-c"]
CMD ["cat /app/greeting"]
FROM base AS child
"""
    build(df, {"a.txt": "A", ".dockerignore": "*.log\n", "x.log": "ignored"}, "--target",
          "base", "--build-arg", "WHO=pallet", "--label", "build=yes", "-t", "cfg-test")
    cfg = _inspect(palletd, "cfg-test")["Config"]
    assert cfg["Env"][-2:] == ["GREETING=hello pallet", "EMPTY=fallback"]
    assert cfg["WorkingDir"] == "/app" and cfg["User"] == "appuser"
    assert cfg["ExposedPorts"] == {"8080/tcp": {}, "9000/udp": {}}
    assert cfg["Labels"] == {"org.example.kind": "test", "two words": "yes", "build": "yes"}
    assert cfg["Healthcheck"] == {"Test": ["CMD-SHELL", "test -f /app/greeting"],
                                  "Interval": 2_000_000_000, "Timeout": 1_000_000_000,
                                  "Retries": 2}
    assert cfg["StopSignal"] == "SIGINT" and cfg["Volumes"] == {"/data": {}}
    assert cfg["OnBuild"] == ["RUN echo triggered > /tmp/onbuild"]
    assert cfg["Entrypoint"] == ["sh", "-c"] and cfg["Cmd"] == ["cat /app/greeting"]
    out = palletd.pallet("run", "--rm", "cfg-test").stdout
    assert out == "hello pallet\n"
    check = palletd.pallet(
        "run", "--rm", "--user", "0", "cfg-test",
        "stat -c '%u:%g %a' /app/a.txt; cat /unpacked/inner.txt /etc/motd /count; id appuser;"
        " ls /cache /x.log 2>&1; ls /app")
    lines = check.stdout.splitlines()
    assert lines[:3] == ["1000:1000 640", "innermotd for pallet", "1"], check.stdout
    assert "uid=1001(appuser)" in lines[3]
    assert "/cache: No such file" in check.stdout
    # the cache mount persists across builds (the step reruns with --no-cache)
    build(df, {}, "--target", "base", "--build-arg", "WHO=pallet", "--no-cache", "-t",
          "cfg-test")
    assert palletd.pallet("run", "--rm", "--user", "0", "cfg-test", "cat /count"
                          ).stdout.strip() == "2"
    # ONBUILD triggers run in a child build
    child = build("FROM cfg-test\nCMD [\"cat /tmp/onbuild\"]\n", {}, "-t", "cfg-child")
    assert "# Executing 1 build trigger" in child.stdout
    assert palletd.pallet("run", "--rm", "cfg-child").stdout == "triggered\n"
    assert _inspect(palletd, "cfg-child")["Config"].get("OnBuild") in (None, [])
    palletd.pallet("rmi", "cfg-child", "cfg-test")


def test_reproducible_with_source_date_epoch(palletd: Any, build: Build) -> None:
    df = "FROM busybox\nRUN echo same > /f && mkdir -p /d/e\nCOPY a.txt /a\n"
    ids = []
    for _ in range(2):
        build(df, {"a.txt": "A"}, "--no-cache", "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
              "-t", "repro")
        ids.append(_inspect(palletd, "repro")["Id"])
    assert ids[0] == ids[1]
    assert _inspect(palletd, "repro")["Created"].startswith("2023-11-14T22:13:20")
    palletd.pallet("rmi", "repro")


def test_build_prune(palletd: Any, build: Build) -> None:
    build("FROM busybox\nENV PRUNE=1\nRUN true\n", {}, "-t", "prune-test")
    palletd.pallet("rmi", "prune-test")
    report = palletd.json("POST", "/build/prune")
    assert report["CachesDeleted"]
    again = build("FROM busybox\nENV PRUNE=1\nRUN true\n", {})
    assert "Using cache" not in again.stdout


def test_add_url(palletd: Any, build: Build, tmp_path: Path) -> None:
    """ADD <url> --checksum: fetched (not unpacked), verified, cached by the checksum; a
    wrong checksum fails the build naming both digests. Without one, the step is keyed by
    what the URL serves now."""
    import hashlib
    import http.server
    import threading
    from functools import partial

    served = tmp_path / "served"
    served.mkdir()
    payload = b"fetched over http\n"
    (served / "file.txt").write_bytes(payload)
    digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/file.txt"
    try:
        df = (f"FROM busybox\nADD --checksum={digest} {url} /data/\n"
              'CMD ["cat", "/data/file.txt"]\n')
        build(df, {}, "-t", "addurl")
        assert palletd.pallet("run", "--rm", "addurl").stdout == payload.decode()
        again = build(df, {}, "-t", "addurl")
        assert again.stdout.count("Using cache") == 2
        history = palletd.json("GET", "/images/addurl/history")
        assert all("checksum" not in h["CreatedBy"] for h in history)
        bad = "sha256:" + "0" * 64
        res = build(df.replace(digest, bad), {}, "-t", "addurl-bad", check=False)
        assert res.returncode != 0
        assert "checksum mismatch" in res.stdout + res.stderr and digest in res.stdout + res.stderr
        assert palletd.pallet("image", "inspect", "addurl-bad").returncode != 0
        # without --checksum the file is fetched each time and the step keyed by its content
        plain = f"FROM busybox\nADD {url} /data/\nCMD [\"cat\", \"/data/file.txt\"]\n"
        build(plain, {}, "-t", "addurl-plain")
        assert build(plain, {}, "-t", "addurl-plain").stdout.count("Using cache") == 2
        (served / "file.txt").write_bytes(b"changed upstream\n")
        assert build(plain, {}, "-t", "addurl-plain").stdout.count("Using cache") == 0
        assert palletd.pallet("run", "--rm", "addurl-plain").stdout == "changed upstream\n"
    finally:
        server.shutdown()
        server.server_close()
