"""What the host offers the runtime, checked once at daemon start.

Finds crun/runc, conmon and catatonit; detects the cgroup layout; on a hybrid host whose
cgroup2 still owns controllers (crun 1.8 then refuses to run: "cgroups in hybrid mode not
supported") mounts the missing v1 hierarchies as root, or falls back to runc with a
warning; records the daemon's own rlimits (to clamp containers') and bounding set.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pallet.errors import Unavailable
from pallet.runtime.caps import caps_from_mask
from pallet.runtime.seccomp import DEFAULT_PROFILE

CGROUP_ROOT = Path("/sys/fs/cgroup")

_PACKAGES = {"crun": "crun", "runc": "runc", "conmon": "conmon", "catatonit": "catatonit"}
_SEARCH = ("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin",
           "/usr/libexec/podman")

_RLIMITS = {name: getattr(resource, name) for name in dir(resource)
            if name.startswith("RLIMIT_")}

Mounter = Callable[[str, str, str, str], None]  # (source, target, fstype, data)


@dataclass(frozen=True)
class HostFacts:
    runtime_name: str
    runtime_path: str
    conmon_path: str
    catatonit_path: str | None
    cgroup_layout: str  # "v1" | "v2" | "hybrid"
    cgroup_fix: list[str] = field(default_factory=list)  # what was mounted
    warnings: list[str] = field(default_factory=list)
    rlimits: dict[str, int] = field(default_factory=dict)  # RLIMIT_X -> hard (-1 = inf)
    seccomp_profile: Path | None = None
    bounding_caps: frozenset[str] = frozenset()

    def require_init(self) -> str:
        if self.catatonit_path is None:
            raise Unavailable("--init needs catatonit: install the catatonit package")
        return self.catatonit_path


def find_tool(name: str, path_env: str | None = None) -> str | None:
    dirs = [d for d in (path_env or os.environ.get("PATH", "")).split(":") if d]
    for d in [*dirs, *_SEARCH]:
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def _require(name: str) -> str:
    p = find_tool(name)
    if p is None:
        raise Unavailable(f"{name} not found: install the {_PACKAGES.get(name, name)} package")
    return p


def cgroup_layout(root: Path = CGROUP_ROOT) -> str:
    if (root / "cgroup.controllers").exists():
        return "v2"
    if (root / "unified" / "cgroup.controllers").exists():
        return "hybrid"
    return "v1"


def hybrid_leftover_controllers(root: Path = CGROUP_ROOT) -> list[str]:
    """Controllers still held by the hybrid host's cgroup2 (crun needs none)."""
    try:
        return (root / "unified" / "cgroup.controllers").read_text().split()
    except FileNotFoundError:
        return []


def _libc_mount(source: str, target: str, fstype: str, data: str) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_ulong, ctypes.c_char_p]
    if libc.mount(source.encode(), target.encode(), fstype.encode(), 0, data.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount -t {fstype} -o {data} {source} {target}: {os.strerror(err)}")


def fix_hybrid_cgroups(root: Path = CGROUP_ROOT, mounter: Mounter | None = None) -> list[str]:
    """Mount each controller cgroup2 still holds as a v1 hierarchy; returns what was done.

    ``mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/...``.
    Raises OSError when it is not possible (not root, controller busy in cgroup2).
    """
    mount = mounter or _libc_mount
    done = []
    for ctrl in hybrid_leftover_controllers(root):
        target = root / ctrl
        target.mkdir(exist_ok=True)
        mount("cgroup", str(target), "cgroup", ctrl)
        done.append(f"mounted cgroup v1 hierarchy {ctrl} at {target}")
    return done


def daemon_rlimits() -> dict[str, int]:
    out = {}
    for name, res in _RLIMITS.items():
        try:
            _soft, hard = resource.getrlimit(res)
        except (ValueError, OSError):
            continue
        out[name] = -1 if hard == resource.RLIM_INFINITY else hard
    return out


def bounding_caps(status_text: str | None = None) -> frozenset[str]:
    text = status_text if status_text is not None else Path("/proc/self/status").read_text()
    for line in text.splitlines():
        if line.startswith("CapBnd:"):
            return caps_from_mask(int(line.split()[1], 16))
    return frozenset()


def check_host(
    runtime_name: str = "crun",
    *,
    cgroup_root: Path = CGROUP_ROOT,
    mounter: Mounter | None = None,
    is_root: bool | None = None,
    seccomp_profile: Path = DEFAULT_PROFILE,
) -> HostFacts:
    """Probe the host; apply the hybrid-cgroup fix for crun or fall back to runc."""
    if runtime_name not in ("crun", "runc") and not os.path.isabs(runtime_name):
        raise Unavailable(f"unknown OCI runtime {runtime_name!r}: use crun or runc")
    runtime_path = runtime_name if os.path.isabs(runtime_name) else _require(runtime_name)
    name = os.path.basename(runtime_path)
    conmon = _require("conmon")
    catatonit = find_tool("catatonit")
    warnings: list[str] = []
    if catatonit is None:
        warnings.append("catatonit not found: --init is unavailable (install catatonit)")
    layout = cgroup_layout(cgroup_root)
    fixes: list[str] = []
    root = os.geteuid() == 0 if is_root is None else is_root
    if layout == "hybrid" and name == "crun" and hybrid_leftover_controllers(cgroup_root):
        left = hybrid_leftover_controllers(cgroup_root)
        problem = (f"crun refuses hybrid cgroup hosts whose cgroup2 holds controllers "
                   f"({', '.join(left)})")
        try:
            if not root:
                raise PermissionError("not root")
            fixes = fix_hybrid_cgroups(cgroup_root, mounter)
            still = hybrid_leftover_controllers(cgroup_root)
            if still:
                raise OSError(f"cgroup2 still holds {', '.join(still)}")
        except OSError as e:
            runc = find_tool("runc")
            if runc is None:
                raise Unavailable(
                    f"{problem}, fixing it failed ({e}) and runc is not installed: "
                    f"install the runc package or run as root") from None
            warnings.append(f"{problem}; could not fix it ({e}): using runc instead")
            runtime_path, name = runc, "runc"
    profile = seccomp_profile if seccomp_profile.is_file() else None
    if profile is None:
        warnings.append(f"seccomp profile {seccomp_profile} missing (install "
                        "golang-github-containers-common): containers run unconfined")
    return HostFacts(
        runtime_name=name, runtime_path=runtime_path, conmon_path=conmon,
        catatonit_path=catatonit, cgroup_layout=layout, cgroup_fix=fixes,
        warnings=warnings, rlimits=daemon_rlimits(), seccomp_profile=profile,
        bounding_caps=bounding_caps(),
    )
