"""Compile an OCI ``linux.seccomp`` object to a BPF program with libseccomp.

crun compiles the profile on every container start (about 20 ms of a start on
these machines). The daemon compiles each distinct profile once and hands crun
the program through its ``run.oci.seccomp_bpf_data`` annotation (base64 of
the raw filter); crun then skips its own compilation. runc ignores the
annotation and uses the ``linux.seccomp`` section, which stays in the spec.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

ANNOTATION = "run.oci.seccomp_bpf_data"

_ACTIONS = {
    "SCMP_ACT_KILL": 0x00000000,
    "SCMP_ACT_KILL_THREAD": 0x00000000,
    "SCMP_ACT_KILL_PROCESS": 0x80000000,
    "SCMP_ACT_TRAP": 0x00030000,
    "SCMP_ACT_ERRNO": 0x00050000,
    "SCMP_ACT_TRACE": 0x7FF00000,
    "SCMP_ACT_LOG": 0x7FFC0000,
    "SCMP_ACT_ALLOW": 0x7FFF0000,
}
_OPS = {
    "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
}
_ARCHES = {
    "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X32": "x32",
    "SCMP_ARCH_ARM": "arm", "SCMP_ARCH_AARCH64": "aarch64",
}


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


@functools.cache
def _lib() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


def _action(name: str, errno_ret: int | None, default_errno: int) -> int:
    base = _ACTIONS.get(name)
    if base is None:
        raise ValueError(f"unsupported seccomp action {name}")
    if name == "SCMP_ACT_ERRNO":
        return base | ((errno_ret if errno_ret is not None else default_errno) & 0xFFFF)
    if name == "SCMP_ACT_TRACE":
        return base | ((errno_ret or 0) & 0xFFFF)
    return base


def compile_bpf(profile: Mapping[str, Any]) -> bytes | None:
    """The BPF program for ``profile``, or None if libseccomp is missing or the
    profile uses something this compiler does not handle (crun then compiles)."""
    lib = _lib()
    if lib is None or profile.get("listenerPath") or profile.get("flags"):
        return None
    default_errno = int(profile.get("defaultErrnoRet", 1))
    try:
        default = _action(profile["defaultAction"], default_errno, default_errno)
    except (KeyError, ValueError):
        return None
    ctx = lib.seccomp_init(default)
    if not ctx:
        return None
    try:
        for arch in profile.get("architectures") or []:
            token = _ARCHES.get(arch)
            if token is None:
                return None
            rc = lib.seccomp_arch_add(ctx, lib.seccomp_arch_resolve_name(token.encode()))
            if rc not in (0, -17):  # -EEXIST: the native arch is already there
                return None
        for rule in profile.get("syscalls") or []:
            try:
                action = _action(rule["action"], rule.get("errnoRet"), default_errno)
            except (KeyError, ValueError):
                return None
            if action == default:
                continue
            args = rule.get("args") or []
            cmps = (_ArgCmp * max(1, len(args)))()
            for i, a in enumerate(args):
                op = _OPS.get(a.get("op", ""))
                if op is None:
                    return None
                cmps[i] = _ArgCmp(a["index"], op, a.get("value", 0), a.get("valueTwo", 0))
            for name in rule.get("names") or []:
                nr = lib.seccomp_syscall_resolve_name(name.encode())
                if nr < 0:
                    continue  # unknown on this arch, as crun does
                lib.seccomp_rule_add_array(ctx, action, nr, len(args), cmps)
        with tempfile.TemporaryFile() as out:
            if lib.seccomp_export_bpf(ctx, out.fileno()) != 0:
                return None
            out.seek(0)
            return out.read()
    finally:
        lib.seccomp_release(ctx)


@functools.lru_cache(maxsize=64)
def _cached(key: str, text: str) -> str | None:
    program = compile_bpf(json.loads(text))
    return base64.b64encode(program).decode() if program else None


def bpf_annotation(profile: Mapping[str, Any] | None) -> dict[str, str]:
    """``{ANNOTATION: base64}`` for ``profile`` (compiled once per distinct profile)."""
    if not profile or os.environ.get("PALLET_NO_SECCOMP_BPF"):
        return {}
    text = json.dumps(profile, sort_keys=True)
    data = _cached(hashlib.sha256(text.encode()).hexdigest(), text)
    return {ANNOTATION: data} if data else {}
