"""Mount vocabulary -> mount points -> OCI mounts (pure), and the volume store."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.api.models import MountSpec, TmpfsOptions
from pallet.errors import InvalidArgument
from pallet.oci.runtimemount import OciMount
from pallet.system.db import Database
from pallet.volumes import mounts as m
from pallet.volumes.store import ANON_LABEL, VolumeStore


def test_binds() -> None:
    assert m.from_bind("data:/data") == m.MountPoint(
        type="volume", name="data", destination="/data", driver="local", mode="z", rw=True,
        propagation="", nocopy=False)
    b = m.from_bind("/srv/x:/x:ro")
    assert (b.type, b.source, b.rw, b.propagation) == ("bind", "/srv/x", False, "rprivate")
    assert m.oci_mount(b) == OciMount(destination="/x", type="bind", source="/srv/x",
                                      options=["rbind", "rprivate", "ro"])
    for bad in ("data", "a:b", "/a:/b:bogus", "/a:/"):
        with pytest.raises(InvalidArgument):
            m.from_bind(bad)


def test_mounts_and_merge() -> None:
    t = m.from_mount(MountSpec(Type="tmpfs", Target="/t",
                               TmpfsOptions=TmpfsOptions(SizeBytes=1024, Mode=0o1777)))
    assert m.oci_mount(t).options == ["nosuid", "nodev", "noexec", "rw", "size=1024",
                                      "mode=1777"]
    with pytest.raises(InvalidArgument):
        m.from_mount(MountSpec(Type="bind", Source="rel", Target="/x"))
    points = m.merge(["v:/data"], [MountSpec(Type="bind", Source="/h", Target="/h",
                                             ReadOnly=True)],
                     [m.MountPoint(type="volume", name="old", destination="/data")],
                     ["/data", "/var/lib/x"])
    dests = {p.destination: p for p in points}
    assert dests["/data"].name == "v"  # explicit bind wins over inherited and image
    assert dests["/var/lib/x"].anonymous is True
    assert dests["/h"].rw is False
    with pytest.raises(InvalidArgument):
        m.merge(["a:/x", "b:/x"], [], [], [])
    # a --tmpfs path (HostConfig.Tmpfs) at an image VOLUME replaces its anonymous volume,
    # as an explicit mount does (the guide's redis with `tmpfs: [/data]`)
    points = m.merge([], [MountSpec(Type="volume", Source="named", Target="/cache/")], [],
                     ["/data", "/cache", "/keep"], tmpfs=["/data/"])
    assert [(p.destination, p.name) for p in points] == [
        ("/cache", "named"), ("/keep", "")]
    inherited = m.from_volumes_from("c1:ro", [dests["/data"], t])
    assert [p.rw for p in inherited] == [False]


def test_store(tmp_path: Path) -> None:
    s = VolumeStore(Database(tmp_path / "db"), tmp_path / "volumes")
    v = s.create("data", "now", {"a": "b"})
    assert s.path("data").is_dir() and v.labels == {"a": "b"}
    assert s.create("data", "later").created == "now"  # idempotent
    anon = s.create("", "now", anonymous=True)
    assert len(anon.name) == 64 and ANON_LABEL in anon.labels
    with pytest.raises(InvalidArgument):
        s.create("../x", "now")
    s.delete("data")
    assert s.get("data") is None and not (tmp_path / "volumes" / "data").exists()
