"""The images bench/run-registry moves, built offline: debian:bookworm and a postgres:15 look-alike.

- debian: ``pallet image bootstrap debian:bookworm`` (mmdebstrap --variant=minbase).
- postgres: mmdebstrap of bookworm (minbase) with Debian's ``postgresql-15`` (no Recommends,
  as the official image installs it), imported as ``bench/postgres:15`` with the official
  image's PATH, PGDATA, USER-less CMD and port. Docker Hub is out of reach here, so this
  stands in for ``postgres:15``: one layer of about the same size (the official image
  spreads the same content over a dozen layers).

The mmdebstrap tarball is cached under the bench's work dir (``--workdir``), named by
the packages it holds, so reruns import it in seconds instead of building it again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchlib import Engine

PG_PACKAGES = ("postgresql-15",)
PG_BIN = "/usr/lib/postgresql/15/bin"
PG_CHANGES = (
    f"ENV PATH={PG_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV PGDATA=/var/lib/postgresql/data",
    "EXPOSE 5432",
    'CMD ["postgres"]',
)


@dataclass(frozen=True)
class BenchImage:
    key: str  # table and JSON name
    local: str  # the name pallet knows it by
    repo: str  # repository in the bench registry
    probe: tuple[str, ...]  # a command the pulled image must run ...
    expect: str  # ... and a word its output must hold


DEBIAN = BenchImage("debian", "debian:bookworm", "bench/debian",
                    ("cat", "/etc/debian_version"), "12.")
POSTGRES = BenchImage("postgres", "bench/postgres:15", "bench/postgres",
                      (f"{PG_BIN}/postgres", "--version"), "PostgreSQL) 15")
IMAGES = {"debian": DEBIAN, "postgres": POSTGRES}


def postgres_tar(workdir: Path) -> Path:
    """The mmdebstrap tarball of bookworm + postgresql-15, built once per work dir."""
    out = workdir / f"bookworm-minbase-{'-'.join(PG_PACKAGES)}.tar"
    if out.exists():
        return out
    if not shutil.which("mmdebstrap"):
        raise RuntimeError("mmdebstrap is not installed (apt-get install mmdebstrap)")
    workdir.mkdir(parents=True, exist_ok=True)
    part = out.with_suffix(".part")
    argv = ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={','.join(PG_PACKAGES)}",
            "--aptopt=APT::Install-Recommends \"false\"", "bookworm", str(part)]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        part.unlink(missing_ok=True)
        raise RuntimeError(f"mmdebstrap postgresql-15: {res.stderr.strip()[-400:]}")
    os.replace(part, out)
    return out


def make_local(pallet: Engine, img: BenchImage, workdir: Path) -> None:
    """Give pallet ``img`` (bootstrap for debian, import of the cached tar for postgres)."""
    if img is DEBIAN:
        pallet.cli("image", "bootstrap", img.local, timeout=900, check=True)
        return
    argv = ["import"]
    for change in PG_CHANGES:
        argv += ["--change", change]
    pallet.cli(*argv, str(postgres_tar(workdir)), img.local, timeout=900, check=True)
