"""Attach/exec connection hijack over a real unix socket, byte by byte."""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pallet.api.framing import FrameDecoder, frame
from pallet.server.app import core_routers, make_app, serve_unix
from pallet.testing.fake_backend import FakeBackend


@asynccontextmanager
async def daemon() -> AsyncIterator[tuple[Path, FakeBackend]]:
    with tempfile.TemporaryDirectory(prefix="pallet-api-") as tmp:
        path = Path(tmp) / "s.sock"
        fake = FakeBackend(spool=Path(tmp) / "spool")
        runner = await serve_unix(make_app(core_routers(fake)), path)
        try:
            yield path, fake
        finally:
            await runner.cleanup()


async def _request(path: Path, raw: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(raw)
    await writer.drain()
    return reader, writer


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return lines[0], headers


async def _create(fake: FakeBackend, cmd: list[str], tty: bool = False) -> str:
    from pallet.api.models import CreateRequest

    cid, _ = await fake.create(None, CreateRequest(Image="busybox", Cmd=cmd, Tty=tty,
                                                   OpenStdin=True))
    return cid


def _attach_request(cid: str, extra: bytes = b"") -> bytes:
    return (f"POST /v1.44/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
            "Host: docker\r\nContent-Type: text/plain\r\nConnection: Upgrade\r\n"
            "Upgrade: tcp\r\n\r\n").encode() + extra


def test_attach_hijack_echo_half_close_and_end() -> None:
    async def main() -> None:
        async with daemon() as (path, fake):
            cid = await _create(fake, ["cat"])
            reader, writer = await _request(path, _attach_request(cid))
            status, headers = await _read_head(reader)
            assert status == "HTTP/1.1 101 UPGRADED"
            assert headers["connection"] == "Upgrade"
            assert headers["upgrade"] == "tcp"
            assert headers["content-type"] == "application/vnd.docker.multiplexed-stream"
            assert headers["api-version"] == "1.44"
            await fake.start(cid)
            writer.write(b"early ")
            await writer.drain()
            assert await asyncio.wait_for(reader.readexactly(14), 5) == frame(1, b"early ")
            writer.write(b"hello\n")
            await writer.drain()
            want = frame(1, b"hello\n")
            got = await asyncio.wait_for(reader.readexactly(len(want)), 5)
            assert got == want
            # half-close: docker closes its write side when stdin ends, keeps reading
            writer.write_eof()
            rest = await asyncio.wait_for(reader.read(), 5)  # EOF: the server closed
            assert rest == b""
            c = fake.get(cid)
            assert (c.status, c.exit_code) == ("exited", 0)  # the fake's cat ends with stdin
            writer.close()

    asyncio.run(main())


def test_attach_hijack_tty_is_raw() -> None:
    async def main() -> None:
        async with daemon() as (path, fake):
            cid = await _create(fake, ["cat"], tty=True)
            reader, writer = await _request(path, _attach_request(cid))
            status, headers = await _read_head(reader)
            assert status.startswith("HTTP/1.1 101")
            assert headers["content-type"] == "application/vnd.docker.raw-stream"
            await fake.start(cid)
            writer.write(b"abc")
            await writer.drain()
            assert await asyncio.wait_for(reader.readexactly(3), 5) == b"abc"
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(), 5) == b""
            writer.close()

    asyncio.run(main())


def test_attach_output_then_container_exit_closes_connection() -> None:
    async def main() -> None:
        async with daemon() as (path, fake):
            cid = await _create(fake, ["sleep"])
            reader, writer = await _request(path, _attach_request(cid))
            await _read_head(reader)
            await fake.start(cid)
            c = fake.get(cid)
            fake.emit(c, 1, b"out")
            fake.emit(c, 2, b"err!")
            fake.exit(c, 3)
            data = await asyncio.wait_for(reader.read(), 5)
            assert data == frame(1, b"out") + frame(2, b"err!")
            writer.close()

    asyncio.run(main())


def test_attach_unknown_container_is_a_plain_404() -> None:
    async def main() -> None:
        async with daemon() as (path, _fake):
            reader, writer = await _request(path, _attach_request("nope"))
            status, headers = await _read_head(reader)
            assert status.startswith("HTTP/1.1 404")
            body = await reader.readexactly(int(headers["content-length"]))
            assert json.loads(body) == {"message": "No such container: nope"}
            writer.close()

    asyncio.run(main())


def test_client_disconnect_closes_the_session() -> None:
    async def main() -> None:
        async with daemon() as (path, fake):
            cid = await _create(fake, ["sleep"])
            reader, writer = await _request(path, _attach_request(cid))
            await _read_head(reader)
            await fake.start(cid)
            session = fake.get(cid).sessions[0]
            writer.transport.abort()
            for _ in range(100):
                if session.closed:
                    break
                await asyncio.sleep(0.02)
            assert session.closed

    asyncio.run(main())


def test_exec_start_hijack_with_body() -> None:
    async def main() -> None:
        async with daemon() as (path, fake):
            cid = await _create(fake, ["sleep"])
            await fake.start(cid)
            from pallet.api.models import ExecConfig

            exec_id = await fake.exec_create(cid, ExecConfig(Cmd=["cat"], AttachStdin=True,
                                                             AttachStdout=True))
            body = b'{"Detach":false,"Tty":false}'
            raw = (f"POST /v1.44/exec/{exec_id}/start HTTP/1.1\r\nHost: d\r\n"
                   "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            reader, writer = await _request(path, raw)
            status, _ = await _read_head(reader)
            assert status == "HTTP/1.1 101 UPGRADED"
            writer.write(b"in")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"put")
            writer.write_eof()
            dec = FrameDecoder()
            out = dec.feed(await asyncio.wait_for(reader.read(), 5))
            assert b"".join(d for _, d in out) == b"input"
            assert {s for s, _ in out} == {1}
            assert dec.pending == 0
            writer.close()

    asyncio.run(main())


def _exec_start_request(exec_id: str, tty: bool) -> bytes:
    body = json.dumps({"Detach": False, "Tty": tty}).encode()
    return (f"POST /v1.44/exec/{exec_id}/start HTTP/1.1\r\nHost: d\r\n"
            "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_output_waits_until_the_client_has_read_the_head() -> None:
    """A client that reads the 101 head through a buffered reader (http.client's makefile)
    and then reads the raw socket, as docker-py does, still gets output the process wrote at
    once: the server holds it until the head has left the socket."""

    def client(path: Path, raw: bytes) -> bytes:
        import time

        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(path))
            sock.sendall(raw)
            time.sleep(0.3)  # the output is ready long before the client reads
            head = sock.makefile("rb")
            assert head.readline().startswith(b"HTTP/1.1 101")
            while head.readline() not in (b"\r\n", b""):
                pass
            chunks = []
            while data := sock.recv(4096):
                chunks.append(data)
            return b"".join(chunks)

    async def main() -> None:
        async with daemon() as (path, fake):
            cid = await _create(fake, ["sleep"])
            await fake.start(cid)
            from pallet.api.models import ExecConfig

            exec_id = await fake.exec_create(cid, ExecConfig(Cmd=["echo", "hi"],
                                                             AttachStdout=True))
            raw = _exec_start_request(exec_id, tty=False)
            out = await asyncio.get_running_loop().run_in_executor(None, client, path, raw)
            assert out == frame(1, b"hi\n")

    asyncio.run(main())


def test_detach_keys_end_the_connection_and_leave_the_container_running() -> None:
    async def main() -> None:
        async with daemon() as (path, fake):
            cid = await _create(fake, ["cat"], tty=True)
            await fake.start(cid)
            raw = _attach_request(cid).replace(b"stderr=1", b"stderr=1&detachKeys=ctrl-x,x")
            reader, writer = await _request(path, raw)
            await _read_head(reader)
            writer.write(b"ab\x18y\x18x")
            await writer.drain()
            await asyncio.wait_for(reader.read(), 5)  # EOF: the server hung up
            session = fake.get(cid).sessions[0]
            assert session.received == b"ab\x18y"  # the sequence itself never reaches cat
            assert not session.stdin_closed and fake.get(cid).status == "running"
            writer.close()
            reader, writer = await _request(path, _attach_request(cid).replace(
                b"stderr=1", b"stderr=1&detachKeys=ctrl-"))
            status, _ = await _read_head(reader)
            assert status.startswith("HTTP/1.1 400")
            writer.close()

    asyncio.run(main())


def test_socket_permissions_and_stale_socket(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "p.sock"
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(str(path))
        stale.close()  # a socket file nobody listens on
        runner = await serve_unix(make_app(core_routers(FakeBackend(spool=tmp_path))), path)
        try:
            st = path.stat()
            assert st.st_mode & 0o777 == 0o660
            import grp
            import os

            if os.geteuid() == 0:
                assert st.st_uid == 0
                try:
                    gid = grp.getgrnam("pallet").gr_gid
                except KeyError:
                    gid = 0
                assert st.st_gid == gid
            # a live daemon's socket is not stolen
            from pallet.errors import Unavailable

            try:
                await serve_unix(make_app(core_routers(FakeBackend(spool=tmp_path))), path)
            except Unavailable as exc:
                assert "already listening" in str(exc)
            else:
                raise AssertionError("second daemon bound a live socket")
        finally:
            await runner.cleanup()

    asyncio.run(main())
