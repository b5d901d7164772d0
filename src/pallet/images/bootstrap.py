"""Base images built locally, without a registry.

``busybox``: Debian's busybox-static binary plus one symlink per applet, the
passwd/group files of the busybox image and the usual empty dirs; fixed mtimes
(SOURCE_DATE_EPOCH or 0) make the image ID depend only on the busybox package.
``debian:bookworm``: ``mmdebstrap --variant=minbase`` streamed into a layer
(``dev/*`` dropped, apt's ``docker-clean`` added).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from pallet.errors import CommandFailed, InvalidArgument, Unavailable
from pallet.images.busybox_accounts import SCRIPTS
from pallet.images.stage import Stage
from pallet.notation.times import rfc3339_seconds
from pallet.oci import manifest as om
from pallet.oci import reference
from pallet.oci.digest import CHUNK, Digest

if TYPE_CHECKING:
    from pallet.images.service import ImageService

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUSYBOX = "docker.io/library/busybox:latest"
DEBIAN = "docker.io/library/debian:bookworm"

PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
"""
SHADOW = "".join(f"{line.split(':')[0]}:*::0:::::\n" for line in PASSWD.splitlines())
_CLEAN_CMD = (
    '"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb'
    ' /var/cache/apt/*.bin || true"'
)
DOCKER_CLEAN = (
    f"DPkg::Post-Invoke {{ {_CLEAN_CMD}; }};\n"
    f"APT::Update::Post-Invoke {{ {_CLEAN_CMD}; }};\n\n"
    'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
).encode()
BUSYBOX_DIRS = {
    "bin": 0o755,
    "dev": 0o755,
    "etc": 0o755,
    "home": 0o755,
    "proc": 0o555,
    "root": 0o700,
    "sbin": 0o755,
    "sys": 0o555,
    "tmp": 0o1777,
    "usr": 0o755,
    "usr/bin": 0o755,
    "usr/sbin": 0o755,
    "var": 0o755,
    "var/spool": 0o755,
    "var/spool/mail": 0o755,
    "var/www": 0o755,
}


def epoch() -> int:
    """SOURCE_DATE_EPOCH, else the packaged busybox's mtime (fixed by its .deb)."""
    try:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    except (KeyError, ValueError):
        pass
    try:
        return int(os.stat(_busybox_binary()).st_mtime)
    except (OSError, Unavailable):
        return 0




def bootstrap(svc: ImageService, name: str) -> str:
    r = reference.parse(name)
    if r.name == "docker.io/library/busybox" and r.tag == "latest":
        return _publish(svc, _busybox, [BUSYBOX], ["sh"])
    if r.name == "docker.io/library/debian" and r.tag in ("bookworm", "latest", "12"):
        names = [DEBIAN] + ([str(r)] if str(r) != DEBIAN else [])
        return _publish(svc, _debian, names, ["bash"])
    raise InvalidArgument(f"cannot bootstrap {r.familiar}: only busybox and debian:bookworm")


def _publish(svc: ImageService, build: object, names: list[str], cmd: list[str]) -> str:
    from pallet.images.importer import publish_one_layer

    created = rfc3339_seconds(epoch() if build is _busybox else _debian_epoch())

    def write(stage: Stage) -> tuple[Digest, dict[str, Any]]:
        digest, created_by = build(stage)  # type: ignore[operator]
        return digest, {"created": created, "created_by": created_by}

    return publish_one_layer(svc, write, names=list(names), created=created,
                             config={"Env": [PATH_ENV], "Cmd": cmd}, **om.host_platform())


def _busybox_binary() -> str:
    for p in ("/bin/busybox", "/usr/bin/busybox"):
        if os.access(p, os.X_OK):
            return p
    found = shutil.which("busybox")
    if not found:
        raise Unavailable("busybox is not installed (apt-get install busybox-static)")
    return found


def _run(argv: list[str]) -> str:
    p = subprocess.run(argv, capture_output=True, text=True, check=False)
    if p.returncode not in (0, 1):
        raise CommandFailed(argv, p.returncode, p.stderr)
    return p.stdout


def _busybox(stage: Stage) -> tuple[str, str]:
    binary = _busybox_binary()
    if "statically linked" not in _file_kind(binary):
        pass  # dynamic busybox works only if its libraries exist in the image; accept anyway
    applets = sorted({a.strip().lstrip("/") for a in _run([binary, "--list-full"]).split()})
    banner = (_run([binary]).splitlines() or ["BusyBox"])[0].strip()
    ts = epoch()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        dirs = dict(BUSYBOX_DIRS)
        for a in applets:
            parent = os.path.dirname(a)
            while parent and parent not in dirs:
                dirs[parent] = 0o755
                parent = os.path.dirname(parent)
        for d in sorted(dirs):
            _add(tf, d, tarfile.DIRTYPE, dirs[d], ts)
        with open(binary, "rb") as f:
            data = f.read()
        _add(tf, "bin/busybox", tarfile.REGTYPE, 0o755, ts, data=data)
        for path, text, mode in (
            ("etc/group", GROUP, 0o644),
            ("etc/passwd", PASSWD, 0o644),
            ("etc/shadow", SHADOW, 0o640),
            ("etc/nsswitch.conf", "hosts: files dns\n", 0o644),
        ):
            _add(tf, path, tarfile.REGTYPE, mode, ts, data=text.encode())
        for a in applets:
            if a != "bin/busybox":
                _add(tf, a, tarfile.SYMTYPE, 0o777, ts, link="/bin/busybox")
        names = {os.path.basename(a) for a in applets}
        for path, script in SCRIPTS.items():  # applets Debian's busybox leaves out
            if os.path.basename(path) not in names:
                _add(tf, path, tarfile.REGTYPE, 0o755, ts, data=script.encode())
    digest = stage.blob_bytes(buf.getvalue())
    return digest, f"pallet bootstrap busybox: {banner}"


def _file_kind(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(4096)
    return "statically linked" if b"/lib64/ld-linux" not in head and b"ld-linux" not in head else ""


def _add(
    tf: tarfile.TarFile,
    name: str,
    kind: bytes,
    mode: int,
    ts: int,
    data: bytes = b"",
    link: str = "",
) -> None:
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime = kind, mode, ts
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


# -- debian -------------------------------------------------------------------
def _debian_epoch() -> int:
    return epoch() or int(datetime.now(UTC).timestamp())


def _debian(stage: Stage) -> tuple[str, str]:
    if not shutil.which("mmdebstrap"):
        raise Unavailable("mmdebstrap is not installed (apt-get install mmdebstrap)")
    ts = _debian_epoch()
    argv = ["mmdebstrap", "--quiet", "--variant=minbase", "bookworm", "-"]
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(ts))
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env)
        assert proc.stdout is not None
        try:
            digest = _filter_rootfs(stage, proc.stdout, ts)
        finally:
            proc.stdout.close()
            rc = proc.wait()
        if rc != 0:
            err.seek(0)
            raise CommandFailed(argv, rc, err.read().decode(errors="replace"))
    return digest, f"mmdebstrap --variant=minbase bookworm (SOURCE_DATE_EPOCH={ts})"


def _filter_rootfs(stage: Stage, src: IO[bytes], ts: int) -> str:
    """Copy a rootfs tar into a blob, without ``dev/*``, plus apt's docker-clean."""
    with stage.content.writer() as w:
        tin = tarfile.open(fileobj=src, mode="r|", bufsize=CHUNK)  # noqa: SIM115
        tout = tarfile.open(  # noqa: SIM115
            fileobj=w,  # type: ignore[call-overload]
            mode="w|",
            format=tarfile.PAX_FORMAT,
            bufsize=CHUNK,
        )
        with tin, tout:
            for m in tin:
                path = os.path.normpath(m.name.lstrip("/"))
                if path.startswith("dev/"):
                    continue
                tout.addfile(m, tin.extractfile(m) if m.isreg() else None)
            _add(
                tout,
                "./etc/apt/apt.conf.d/docker-clean",
                tarfile.REGTYPE,
                0o644,
                ts,
                data=DOCKER_CLEAN,
            )
        existed = stage.content.exists(w.digest)
        d = w.commit()
        if not existed:
            stage.new_blobs.append(d)
        return d
