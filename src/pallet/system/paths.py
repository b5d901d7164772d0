"""Where pallet keeps things. One value passed down from the daemon's wiring."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("/var/lib/pallet")
DEFAULT_RUN = Path("/run/pallet")


@dataclass(frozen=True)
class Paths:
    root: Path = DEFAULT_ROOT
    run: Path = DEFAULT_RUN

    @classmethod
    def from_env(cls) -> Paths:
        return cls(
            root=Path(os.environ.get("PALLET_ROOT", str(DEFAULT_ROOT))),
            run=Path(os.environ.get("PALLET_RUN", str(DEFAULT_RUN))),
        )

    @property
    def db(self) -> Path:
        return self.root / "pallet.db"

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def containers(self) -> Path:
        return self.root / "containers"

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def socket(self) -> Path:
        return self.run / "pallet.sock"

    @property
    def exits(self) -> Path:
        return self.run / "exits"

    @property
    def runtime_state(self) -> Path:
        """``--root`` for crun/runc, so pallet's containers are its own."""
        return self.run / "runtime"

    @property
    def netns(self) -> Path:
        return self.run / "netns"
