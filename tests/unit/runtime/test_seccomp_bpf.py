"""The precompiled seccomp filter handed to crun."""

from __future__ import annotations

import base64

from pallet.runtime.seccomp import default_seccomp
from pallet.runtime.seccomp_bpf import ANNOTATION, _cached, bpf_annotation, compile_bpf

DOCKER_CAPS = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
               "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
               "AUDIT_WRITE"]


def test_the_default_profile_compiles_to_a_bpf_program() -> None:
    program = compile_bpf(default_seccomp(DOCKER_CAPS))
    assert program is not None
    assert len(program) % 8 == 0 and len(program) > 800  # sock_filter entries of 8 bytes


def test_the_annotation_is_base64_of_the_program_and_cached() -> None:
    profile = default_seccomp(DOCKER_CAPS)
    first = bpf_annotation(profile)
    assert base64.b64decode(first[ANNOTATION]) == compile_bpf(profile)
    misses = _cached.cache_info().misses
    assert bpf_annotation(dict(profile)) == first  # an equal profile: no second compile
    assert _cached.cache_info().misses == misses


def test_what_it_cannot_compile_is_left_to_crun() -> None:
    assert compile_bpf({"defaultAction": "SCMP_ACT_NOTIFY"}) is None
    assert compile_bpf({"defaultAction": "SCMP_ACT_ERRNO",
                        "listenerPath": "/run/x.sock"}) is None
    assert bpf_annotation(None) == {}
