"""The precompiled filter is what runs: a probe's syscalls get the profile's answers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PROBE = r"""
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  long r = syscall(SYS_add_key, "user", "x", "y", 1, 0);
  printf("add_key %d\n", r < 0 ? errno : 0);
  r = syscall(SYS_userfaultfd, 0);
  printf("userfaultfd %d\n", r < 0 ? errno : 0);
  printf("getpid %d\n", syscall(SYS_getpid) > 0);
  return 0;
}
"""


@pytest.mark.integration
def test_default_profile_answers_through_the_precompiled_filter(
        palletd: Any, busybox: str, tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    assert gcc, "gcc is needed to build the seccomp probe"
    (tmp_path / "probe.c").write_text(PROBE)
    subprocess.run([gcc, "-static", "-O1", "-o", str(tmp_path / "probe"),
                    str(tmp_path / "probe.c")], check=True)
    name = "seccomp-probe"
    palletd.pallet("rm", "-f", name)
    try:
        assert palletd.pallet("create", "--name", name, busybox, "/probe").returncode == 0
        cp = palletd.pallet("cp", str(tmp_path / "probe"), f"{name}:/probe")
        assert cp.returncode == 0, cp.stderr
        res = palletd.pallet("start", "-a", name)
        assert res.returncode == 0, res.stderr
        # ENOSYS (38) is the profile's default answer; EPERM (1) its explicit one.
        assert "add_key 38" in res.stdout
        assert "userfaultfd 1" in res.stdout
        assert "getpid 1" in res.stdout
        cid = palletd.json("GET", f"/containers/{name}/json")["Id"]
        spec = (Path(palletd.root) / "containers" / cid / "config.json").read_text()
        assert "run.oci.seccomp_bpf_data" in spec and '"seccomp"' in spec
    finally:
        palletd.pallet("rm", "-f", name)
