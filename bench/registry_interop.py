"""Interoperability checks of bench/run-registry with a real dockerd: each answers "" (OK) or why
it failed: docker pull of what pallet pushed, pallet pull of what docker pushed (both run),
`pallet save | docker load` and `docker save | pallet load`.
"""

from __future__ import annotations

import subprocess

from benchlib import Engine
from registry_helpers import Registries
from registry_images import DEBIAN

from pallet.testing.registry import RegistryServer


def pipe(src: Engine, src_args: list[str], dst: Engine, dst_args: list[str]) -> str:
    """`src ... | dst ...`: "" when both succeed, else the error."""
    a = subprocess.Popen(src.argv(*src_args), env=src.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    b = subprocess.run(dst.argv(*dst_args), env=dst.env, stdin=a.stdout, capture_output=True,
                       text=True, timeout=300)
    assert a.stdout is not None
    a.stdout.close()
    a_err = a.stderr.read().decode(errors="replace") if a.stderr else ""
    if a.wait(timeout=60) != 0:
        return f"{src.name} {' '.join(src_args)}: {a_err.strip()[-200:]}"
    if b.returncode != 0:
        return f"{dst.name} {' '.join(dst_args)}: {b.stderr.strip()[-200:]}"
    return ""


def runs_ok(eng: Engine, image: str, argv: list[str], expect: str) -> str:
    res = eng.cli("run", "--rm", image, *argv, timeout=120)
    if res.returncode != 0 or expect not in res.stdout:
        return f"{eng.name} run {image}: rc {res.returncode} {res.stderr.strip()[-200:]}"
    return ""


def interop(pallet: Engine, docker: Engine, regs: Registries,
            r1: RegistryServer) -> dict[str, str]:
    """Each check: "" (OK) or why it failed."""
    out: dict[str, str] = {}
    ref = f"{r1.host}/{DEBIAN.repo}:pallet"
    res = docker.cli("pull", ref, timeout=600)
    out["docker pull <- pallet push"] = (
        f"docker pull: {res.stderr.strip()[-200:]}" if res.returncode != 0
        else runs_ok(docker, ref, list(DEBIAN.probe), DEBIAN.expect))
    reg = regs.new()
    dref = f"{reg.host}/{DEBIAN.repo}:from-docker"
    res = docker.cli("tag", ref, dref, timeout=60)
    res = docker.cli("push", dref, timeout=600) if res.returncode == 0 else res
    if res.returncode != 0:
        out["pallet pull <- docker push"] = f"docker push: {res.stderr.strip()[-200:]}"
    else:
        res = pallet.cli("pull", dref, timeout=600)
        out["pallet pull <- docker push"] = (
            f"pallet pull: {res.stderr.strip()[-200:]}" if res.returncode != 0
            else runs_ok(pallet, dref, list(DEBIAN.probe), DEBIAN.expect))
    docker.cli("rmi", dref, timeout=60)
    pallet.cli("tag", "busybox:latest", "pbench/bb:from-pallet", timeout=60, check=True)
    err = pipe(pallet, ["save", "pbench/bb:from-pallet"], docker, ["load"])
    out["pallet save | docker load"] = err or runs_ok(
        docker, "pbench/bb:from-pallet", ["echo", "saved-ok"], "saved-ok")
    docker.cli("rmi", "pbench/bb:from-pallet", timeout=60)
    docker.cli("tag", "busybox:latest", "pbench/bb:from-docker", timeout=60, check=True)
    err = pipe(docker, ["save", "pbench/bb:from-docker"], pallet, ["load"])
    out["docker save | pallet load"] = err or runs_ok(
        pallet, "pbench/bb:from-docker", ["echo", "saved-ok"], "saved-ok")
    docker.cli("rmi", "pbench/bb:from-docker", timeout=60)
    docker.cli("rmi", ref, timeout=60)
    return out
