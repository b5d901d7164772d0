"""``docker commit``/``diff``/``export`` (docker CLI 28) and docker-py's ``container.commit()``,
``diff()`` and ``export()`` against palletd."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.compat

SCRIPT = "echo hi > /newfile; rm /bin/zcat; mkdir /opt2"


def test_docker_cli_diff_commit_export(docker: Any, cleanup: Any, palletd: Any,
                                       tmp_path: Path) -> None:
    name = cleanup.container("cx-commit")
    image = cleanup.image("cx-committed:v1")
    docker("run", "--name", name, "busybox", "sh", "-c", SCRIPT)
    assert docker("diff", name).stdout.splitlines() == [
        "C /bin", "D /bin/zcat", "A /newfile", "A /opt2"]
    assert docker("container", "diff", name).stdout.splitlines()[-1] == "A /opt2"
    out = docker("commit", "-a", "me", "-m", "via docker", "-c", "ENV FOO=bar",
                 "-c", "WORKDIR /opt2", name, image).stdout.strip()
    assert out.startswith("sha256:")
    assert docker("image", "inspect", "-f", "{{.Id}} {{.Author}} {{.Config.WorkingDir}}",
                  image).stdout.split() == [out, "me", "/opt2"]
    res = docker("run", "--rm", image, "sh", "-c", "pwd; echo $FOO; cat /newfile; ls /bin/zcat",
                 check=False)
    assert res.stdout.splitlines() == ["/opt2", "bar", "hi"] and res.returncode == 1
    hist = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}",
                  image).stdout.splitlines()
    assert hist[0] == f"sh -c {SCRIPT}|via docker"
    bad = docker("commit", "-c", "RUN true", name, check=False)
    assert bad.returncode != 0 and "run is not a valid change command" in bad.stderr
    target = tmp_path / "fs.tar"
    docker("export", "-o", str(target), name)
    with tarfile.open(target) as tf:
        names = {n.rstrip("/") for n in tf.getnames()}
    assert {"newfile", "opt2", "bin/busybox"} <= names and "bin/zcat" not in names
    piped = subprocess.run(f"docker export {name} | tar t", shell=True, env=palletd.env,
                           capture_output=True, text=True, timeout=60)
    assert "newfile" in piped.stdout.split()


def test_docker_cli_commit_running_container(docker: Any, cleanup: Any) -> None:
    name = cleanup.container("cx-commit-live")
    image = cleanup.image("cx-committed-live:v1")
    docker("run", "-d", "--name", name, "busybox", "sh", "-c", "echo x > /live; sleep 60")
    for _ in range(100):
        if docker("exec", name, "cat", "/live", check=False).stdout == "x\n":
            break
    docker("commit", name, image)
    assert docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "running"
    assert docker("run", "--rm", "--entrypoint", "cat", image, "/live").stdout == "x\n"


def test_docker_py_commit_diff_export(dclient: Any, cleanup: Any) -> None:
    name = cleanup.container("py-commit")
    cleanup.image("py-committed:v2")
    dclient.containers.run("busybox", ["sh", "-c", SCRIPT], name=name)
    c = dclient.containers.get(name)
    assert {"Path": "/newfile", "Kind": 1} in c.diff()
    assert {"Path": "/bin/zcat", "Kind": 2} in c.diff()
    img = c.commit(repository="py-committed", tag="v2", message="py", author="py-author",
                   changes=["LABEL via=docker-py"], conf={"Env": ["X=1"]})
    assert "py-committed:v2" in img.tags
    assert img.attrs["Author"] == "py-author" and img.labels == {"via": "docker-py"}
    assert "X=1" in img.attrs["Config"]["Env"]
    assert img.history()[0]["Comment"] == "py"
    out = dclient.containers.run(img.id, ["sh", "-c", "cat /newfile; echo $X"], remove=True)
    assert out == b"hi\n1\n"
    data = b"".join(c.export())
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert "newfile" in tf.getnames()
