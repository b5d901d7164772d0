"""Compose projects written into a temp directory and loaded, for the loader's tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pallet.compose.loader import load
from pallet.compose.model import Project
from pallet.compose.options import ProjectOptions


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def load_in(root: Path, written: dict[str, str] | None = None, *, cwd: str = "",
            env: dict[str, str] | None = None, **opts: object) -> Project:
    write(root, written or {})
    environ = {"HOME": "/home/user", **(env or {})}
    options = ProjectOptions(cwd=str(root / cwd) if cwd else str(root), environ=environ,
                             **opts)  # type: ignore[arg-type]
    return load(options)
