"""The remote log drivers without root: options refused at create, the syslog, GELF and
fluentd frames, and a shipper that follows rotation and drops (never waits) when its
receiver is down in non-blocking mode."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import socket
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest

from pallet.api.models import ContainerConfig, HostConfig, LogConfig
from pallet.engine.logship import LogShipPlugin
from pallet.engine.records import Container
from pallet.errors import InvalidArgument
from pallet.logs import shipformat as fmt
from pallet.logs.rotate import parse_policy
from pallet.logs.shipopts import Address, parse_ship
from pallet.logs.shipper import Shipper, delimiter
from pallet.logs.transport import Transport

META = fmt.LogMeta("a" * 64, "web", "busybox", "sha256:" + "b" * 64, "sh", "", "host1")
NS = 1_765_000_000_123_456_789  # 2025-12-06T05:46:40.123456789Z


def test_options_are_docker_s_and_checked() -> None:
    cfg = parse_ship("syslog", {"syslog-address": "tcp://10.0.0.1:601",
                                "syslog-facility": "local3", "syslog-format": "rfc5424"})
    assert cfg.address == Address("tcp", "10.0.0.1", 601) and cfg.facility == 19
    assert parse_ship("fluentd", {"fluentd-address": "fluent:24225"}).address == \
        Address("tcp", "fluent", 24225)
    assert parse_ship("syslog", {}).address == Address("unixgram", path="/dev/log")
    for driver, opts, cause in [
        ("syslog", {"syslog-address": "http://x"}, "unsupported scheme"),
        ("syslog", {"syslog-facility": "nope"}, "facility"),
        ("gelf", {}, "gelf-address is required"),
        ("gelf", {"gelf-address": "udp://h:1", "max-buffer-size": "1m"}, "non-blocking"),
        ("fluentd", {"fluentd-adress": "h:1"}, "unknown log opt 'fluentd-adress'"),
    ]:
        with pytest.raises(InvalidArgument, match=cause):
            parse_policy(driver, opts)
    # the local copy (dual logging) rotates like the local driver's
    policy = parse_policy("syslog", {"syslog-address": "udp://h:514"})
    assert (policy.max_size, policy.max_file) == (20 << 20, 5)


def test_syslog_frames() -> None:
    five = fmt.syslog_message(b'{"a": 1}', 1, NS, "web", 3, "rfc5424micro", "host1", pid=7)
    assert five == b'<30>1 2025-12-06T05:46:40.123456Z host1 web 7 web - {"a": 1}'
    bsd = fmt.syslog_message(b"oops", 2, NS, "web", 16, "", "host1", pid=7)
    assert bsd == b"<131>Dec  6 05:46:40 web[7]: oops"
    assert fmt.render_tag("{{.Name}}/{{.ID}}", META) == "web/" + "a" * 12
    with pytest.raises(InvalidArgument, match="template"):
        fmt.render_tag("{{.Nope}}", META)


def test_gelf_chunks_reassemble() -> None:
    payload = fmt.gelf_payload(os.urandom(3000).hex().encode(), 2, NS, "web", META)
    data = fmt.gelf_compress(payload, "gzip", 1)
    chunks = fmt.gelf_chunks(data, size=500)
    assert len(chunks) > 1 and all(len(c) <= 500 and c[:2] == b"\x1e\x0f" for c in chunks)
    assert {c[2:10] for c in chunks} == {chunks[0][2:10]}
    doc = json.loads(gzip.decompress(b"".join(c[12:] for c in chunks)))
    assert doc["level"] == 3 and doc["_container_id"] == "a" * 64 and doc["_tag"] == "web"
    assert fmt.gelf_chunks(b"x" * 100) == [b"x" * 100]


def test_fluentd_forward_message() -> None:
    tag, stamp, record = msgspec.msgpack.decode(fmt.fluentd_message(b"hi", 1, NS, "t", META))
    assert (tag, stamp) == ("t", NS // 10**9)
    assert record == {"log": "hi", "source": "stdout", "container_id": "a" * 64,
                      "container_name": "/web"}


def k8s(text: str, stream: str = "stdout", tag: str = "F") -> bytes:
    return f"2025-12-06T05:46:40.1Z {stream} {tag} {text}\n".encode()


async def _ship_rotated(tmp: Path) -> list[bytes]:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.setblocking(False)
    path = tmp / "ctr.log"
    path.write_bytes(k8s("old run"))
    offset = path.stat().st_size
    cfg = parse_ship("syslog", {"syslog-address": f"udp://127.0.0.1:{rx.getsockname()[1]}",
                                "syslog-format": "rfc5424"})
    shipper = Shipper(path, offset, cfg, META)
    shipper.start()
    with path.open("ab") as f:
        f.write(k8s("one ", tag="P") + k8s("piece"))
    await asyncio.sleep(0.3)
    os.replace(path, tmp / "ctr.log.1")  # rotated: the new file starts empty
    path.write_bytes(k8s("two", "stderr"))
    await asyncio.sleep(0.3)
    await shipper.stop()
    got = []
    while True:
        try:
            got.append(rx.recv(4096))
        except BlockingIOError:
            break
    rx.close()
    return got


def test_shipper_joins_partials_and_follows_rotation(tmp_path: Path) -> None:
    got = asyncio.run(_ship_rotated(tmp_path))
    assert [g.rsplit(b" - ", 1)[1] for g in got] == [b"one piece", b"two"]
    assert got[1].startswith(b"<27>1 ")  # stderr: severity err


async def _ship_to_nobody(tmp: Path) -> Shipper:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    path = tmp / "ctr.log"
    path.write_bytes(b"".join(k8s(f"line {i}") for i in range(200)))
    cfg = parse_ship("fluentd", {"fluentd-address": f"127.0.0.1:{port}",
                                 "mode": "non-blocking", "max-buffer-size": "2k"})
    shipper = Shipper(path, 0, cfg, META)
    shipper.start()
    await asyncio.wait_for(shipper.stop(), 15)
    return shipper


def test_a_receiver_that_is_down_costs_dropped_lines_only(tmp_path: Path) -> None:
    shipper = asyncio.run(_ship_to_nobody(tmp_path))
    assert shipper.sent == 0 and shipper.dropped == 200 and shipper.offset > 0


def test_daemon_json_defaults_apply_to_the_daemon_s_driver_only() -> None:
    plugin = LogShipPlugin(cast(Any, None), "syslog",
                           {"syslog-address": "udp://10.1.1.1:514", "tag": "{{.Name}}"})

    def container(lc: LogConfig | None) -> Container:
        return Container(id="c" * 64, name="web", image_id="sha256:x", created="",
                         config=ContainerConfig(Image="busybox"),
                         host_config=HostConfig(LogConfig=lc))

    cfg = plugin.config_of(container(None))
    assert cfg is not None and cfg.address == Address("udp", "10.1.1.1", 514)
    assert cfg.tag == "{{.Name}}"
    own = plugin.config_of(container(LogConfig(Type="syslog", Config={
        "syslog-address": "tcp://10.2.2.2:601"})))
    assert own is not None and own.address == Address("tcp", "10.2.2.2", 601)
    assert plugin.config_of(container(LogConfig(Type="json-file"))) is None
    fluent = parse_ship("fluentd", {"fluentd-buffer-limit": "8k", "fluentd-async": "true"})
    assert fluent.max_buffer == 8192


async def _stream_and_unix(tmp: Path) -> tuple[bytes, bytes]:
    got = bytearray()

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        got.extend(await r.read())
        w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tcp = Transport(Address("tcp", "127.0.0.1", port), delimiter("syslog"))
    await tcp.send(b"<30>1 a")
    await tcp.send(b"<30>1 b")
    await tcp.close()
    await asyncio.sleep(0.1)
    server.close()
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(str(tmp / "log.sock"))
    dgram = Transport(Address("unixgram", path=str(tmp / "log.sock")))
    await dgram.send(b"<30>1 c")
    await dgram.close()
    one = rx.recv(100)
    rx.close()
    return bytes(got), one


def test_syslog_over_tcp_is_newline_framed_and_over_unix_a_datagram(tmp_path: Path) -> None:
    stream, datagram = asyncio.run(_stream_and_unix(tmp_path))
    assert stream == b"<30>1 a\n<30>1 b\n"
    assert datagram == b"<30>1 c"
