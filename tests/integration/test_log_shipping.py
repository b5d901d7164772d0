"""Logs shipped centrally against a real palletd: ``--log-driver syslog`` lines arrive at a
real rsyslog (Debian's package, started here on 127.0.0.1, stopped by PID), ``pallet logs``
shows them too (dual logging), and with the receiver stopped the container keeps running;
gelf (UDP, chunked and compressed) and fluentd (forward protocol, set through the docker
CLI) reach listeners here."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pallet.testing.procs import stop

pytestmark = pytest.mark.integration

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
DOCKER = shutil.which("docker") or "/usr/local/bin/docker"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pallet(d: Any, *args: str, check: bool = True) -> str:
    out = subprocess.run(["pallet", *args], env=d.env, capture_output=True, text=True,
                         timeout=120)
    if check:
        assert out.returncode == 0, out.stderr
    return out.stdout


def until(what: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[tuple[int, Path, subprocess.Popen[bytes]]]:
    port = free_udp_port()
    out = tmp_path / "received.log"
    conf = tmp_path / "rsyslog.conf"
    (tmp_path / "work").mkdir()
    conf.write_text(
        f'global(workDirectory="{tmp_path / "work"}")\n'
        'module(load="imudp")\n'
        f'input(type="imudp" address="127.0.0.1" port="{port}")\n'
        'template(name="raw" type="string" string="%app-name% %msg%\\n")\n'
        f'*.* action(type="omfile" file="{out}" template="raw")\n')
    proc = subprocess.Popen([RSYSLOGD, "-n", "-f", str(conf), "-i", str(tmp_path / "pid")],
                            stdout=subprocess.DEVNULL, stderr=(tmp_path / "err").open("wb"))
    yield port, out, proc
    stop(proc)


def test_syslog_lines_reach_rsyslog_and_pallet_logs(
        palletd: Any, busybox: str, rsyslog: tuple[int, Path, subprocess.Popen[bytes]]) -> None:
    port, received, proc = rsyslog
    name = f"ship-{uuid.uuid4().hex[:8]}"
    script = ('i=0; while :; do i=$((i+1)); echo "{\\"seq\\": $i, \\"msg\\": \\"hello\\"}"; '
              'sleep 0.2; done')
    try:
        pallet(palletd, "run", "-d", "--name", name, "--log-driver", "syslog",
               "--log-opt", f"syslog-address=udp://127.0.0.1:{port}",
               "--log-opt", "tag={{.Name}}", "--log-opt", "syslog-format=rfc5424",
               busybox, "sh", "-c", script)
        assert until(lambda: received.exists() and '"seq": 3' in received.read_text()), \
            "no line reached rsyslog"
        line = next(x for x in received.read_text().splitlines() if '"seq": 2' in x)
        tag, _, msg = line.partition(" ")
        assert tag == name
        assert json.loads(msg) == {"seq": 2, "msg": "hello"}  # the JSON line intact
        assert '{"seq": 2, "msg": "hello"}' in pallet(palletd, "logs", name)
        # the receiver goes away: the container keeps running and logging locally
        stop(proc)
        before = pallet(palletd, "logs", name).count("\n")
        time.sleep(2)
        state = json.loads(pallet(palletd, "inspect", name))[0]["State"]
        assert state["Running"] is True
        assert pallet(palletd, "logs", name).count("\n") > before
    finally:
        pallet(palletd, "rm", "-f", name, check=False)


def test_gelf_udp_chunks_and_fluentd_forward(palletd: Any, busybox: str) -> None:
    gelf = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gelf.bind(("127.0.0.1", 0))
    gelf.settimeout(20)
    fluent = socket.socket()
    fluent.bind(("127.0.0.1", 0))
    fluent.listen()
    fluent.settimeout(20)
    names = [f"gelf-{uuid.uuid4().hex[:8]}", f"fluent-{uuid.uuid4().hex[:8]}"]
    try:
        # a 4000-byte line: more than one GELF chunk even compressed (random-ish text)
        pallet(palletd, "run", "-d", "--name", names[0], "--log-driver", "gelf",
               "--log-opt", f"gelf-address=udp://127.0.0.1:{gelf.getsockname()[1]}",
               "--log-opt", "gelf-compression-type=none",
               busybox, "sh", "-c", "head -c 3000 /dev/urandom | od -An -tx1 | tr -d ' \\n'"
               "; echo; sleep 30")
        chunks: dict[int, bytes] = {}
        total = 0
        while not total or len(chunks) < total:
            data = gelf.recv(65536)
            assert data[:2] == b"\x1e\x0f", "a line this long comes in chunks"
            chunks[data[10]] = data[12:]
            total = data[11]
        doc = json.loads(b"".join(chunks[i] for i in range(total)))
        assert len(doc["short_message"]) == 6000 and doc["_container_name"] == names[0]
        assert doc["level"] == 6 and doc["version"] == "1.1"
        # through the docker CLI: the same LogConfig on the wire
        subprocess.run([DOCKER, "run", "-d", "--name", names[1], "--log-driver", "fluentd",
                        "--log-opt", f"fluentd-address=127.0.0.1:{fluent.getsockname()[1]}",
                        "--log-opt", "tag=app.{{.Name}}",
                        busybox, "sh", "-c", "echo to-fluentd >&2; sleep 30"],
                       env=palletd.env, check=True, capture_output=True, timeout=120)
        conn, _ = fluent.accept()
        with conn:
            conn.settimeout(20)
            tag, stamp, record = msgspec.msgpack.Decoder().decode(conn.recv(65536))
        assert tag == f"app.{names[1]}" and stamp > 0
        assert record["log"] == "to-fluentd" and record["source"] == "stderr"
    finally:
        pallet(palletd, "rm", "-f", *names, check=False)
        gelf.close()
        fluent.close()


def test_gzip_is_the_gelf_default(palletd: Any, busybox: str) -> None:
    gelf = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gelf.bind(("127.0.0.1", 0))
    gelf.settimeout(20)
    name = f"gelfz-{uuid.uuid4().hex[:8]}"
    try:
        pallet(palletd, "run", "-d", "--name", name, "--log-driver", "gelf",
               "--log-opt", f"gelf-address=udp://127.0.0.1:{gelf.getsockname()[1]}",
               busybox, "sh", "-c", 'echo \'{"k": 1}\'; sleep 30')
        doc = json.loads(gzip.decompress(gelf.recv(65536)))
        assert doc["short_message"] == '{"k": 1}'
    finally:
        pallet(palletd, "rm", "-f", name, check=False)
        gelf.close()
