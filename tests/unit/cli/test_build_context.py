"""The build context tar the CLI sends: .dockerignore honoured, owners reset."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from pallet.cli.commands.build import context_tar


def _tar(root: Path, dockerfile: str | None = "Dockerfile") -> dict[str, tarfile.TarInfo]:
    buf = io.BytesIO()
    count = context_tar(str(root), dockerfile, buf, {".pallet-extra": b"x"})
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tf:
        members = {m.name: m for m in tf.getmembers()}
    assert count == len(members)
    return members


def _tree(root: Path) -> None:
    for rel in ("Dockerfile", "a.txt", "logs/1.log", "logs/keep.log", "src/m.py", "node/x.js"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)


def test_without_dockerignore_everything_is_sent(tmp_path: Path) -> None:
    _tree(tmp_path)
    names = _tar(tmp_path)
    assert set(names) == {"Dockerfile", "a.txt", "logs", "logs/1.log", "logs/keep.log", "src",
                          "src/m.py", "node", "node/x.js", ".pallet-extra"}
    assert all(m.uid == 0 and m.gid == 0 and m.uname == "" for m in names.values())


def test_dockerignore_excludes_reincludes_and_keeps_the_dockerfile(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / ".dockerignore").write_text("# comment\nnode\nlogs\n!logs/keep.log\nDockerfile\n")
    names = set(_tar(tmp_path))
    assert names == {".dockerignore", "Dockerfile", "a.txt", "logs/keep.log", "src", "src/m.py",
                     ".pallet-extra"}
    (tmp_path / ".dockerignore").write_text("\n\n")  # blank: no patterns
    assert "node/x.js" in _tar(tmp_path)
