"""A tiny fake Docker Engine API on a unix socket, for CLI tests.

Containers "run" scripted behaviours keyed by the first word of their command:
``echo`` prints its args, ``cat`` echoes stdin, ``exit N`` exits with N,
``err`` writes to stderr, ``notfound``/``noexec`` fail to start (127/126).
Every request is recorded in ``engine.requests`` as (method, path, query, body).
"""

from __future__ import annotations

import json
import os
import socketserver
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


class Container:
    def __init__(self, ident: str, name: str, body: dict[str, Any]) -> None:
        self.id = ident
        self.name = name
        self.body = body
        self.state = "created"
        self.exit_code = 0
        self.started = threading.Event()
        self.exited = threading.Event()
        self.stdin_data = b""
        self.output: list[tuple[int, bytes]] = []
        self.created = int(time.time()) - 5

    @property
    def cmd(self) -> list[str]:
        return list(self.body.get("Cmd") or [])

    def inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": "/" + self.name,
            "Config": {k: v for k, v in self.body.items() if k not in ("HostConfig",)},
            "HostConfig": self.body.get("HostConfig") or {},
            "State": {
                "Status": self.state,
                "Running": self.state == "running",
                "Paused": self.state == "paused",
                "ExitCode": self.exit_code,
            },
            "NetworkSettings": {"IPAddress": "10.88.0.5", "Networks": {}},
        }


class Engine:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []
        self.containers: dict[str, Container] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.execs: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # archive GET payloads by path
        self.put_archives: list[tuple[str, bytes]] = []
        self.build_headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.counter = 0
        self.api_version = "1.44"

    def add_image(self, ref: str, size: int = 4_260_000) -> None:
        ident = "sha256:" + f"{len(self.images) + 1:x}".ljust(64, "a")
        self.images[ref] = {
            "Id": ident,
            "RepoTags": [ref],
            "RepoDigests": [],
            "Created": int(time.time()) - 3600 * 3,
            "Size": size,
            "Labels": {},
            "Containers": -1,
            "SharedSize": -1,
        }

    def find(self, ref: str) -> Container | None:
        for c in self.containers.values():
            if c.id == ref or c.name == ref or c.id.startswith(ref):
                return c
        return None

    def run(self, c: Container) -> None:
        """Execute a container's scripted behaviour (after start)."""
        cmd = c.cmd
        word = cmd[0] if cmd else ""
        if word == "echo":
            c.output.append((1, (" ".join(cmd[1:]) + "\n").encode()))
        elif word == "err":
            c.output.append((2, (" ".join(cmd[1:]) + "\n").encode()))
        elif word == "exit":
            c.exit_code = int(cmd[1])
        elif word == "cat":
            pass  # output produced from stdin by the attach handler
        c.state = "running"
        c.started.set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    engine: Engine

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # plumbing -------------------------------------------------------------
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        doc: Any = None,
        raw: bytes | None = None,
        ctype: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = raw if raw is not None else (b"" if doc is None else json.dumps(doc).encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Api-Version", self.engine.api_version)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"message": message})

    def _start_chunked(self, ctype: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query)
        if path.startswith("/v1."):
            version = path.split("/")[1][1:]
            if version > self.engine.api_version and self.engine.api_version < "1.44":
                self._body()
                self._error(
                    400,
                    f"client version {version} is too new. Maximum supported API "
                    f"version is {self.engine.api_version}",
                )
                return
            path = "/" + path.split("/", 2)[2]
        body_bytes = (
            b""
            if self.command in ("GET", "HEAD") and "Content-Length" not in self.headers
            else self._body()
        )
        body: Any = body_bytes
        if self.headers.get("Content-Type", "").startswith("application/json") and body_bytes:
            body = json.loads(body_bytes)
        self.engine.requests.append((self.command, path, query, body))
        route = getattr(self, "route_" + self.command.lower())
        route(path, query, body)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_HEAD = do_GET

    # routes ---------------------------------------------------------------
    def route_head(self, path: str, q: dict[str, list[str]], body: Any) -> None:
        self.route_get(path, q, body)

    def route_get(self, path: str, q: dict[str, list[str]], body: Any) -> None:
        e = self.engine
        seg = path.strip("/").split("/")
        if path == "/_ping":
            self._send(200, raw=b"OK", ctype="text/plain")
        elif path == "/version":
            self._send(
                200,
                {
                    "Version": "0.1.0",
                    "ApiVersion": "1.44",
                    "MinAPIVersion": "1.24",
                    "Os": "linux",
                    "Arch": "amd64",
                    "Platform": {"Name": "pallet"},
                },
            )
        elif path == "/info":
            self._send(
                200,
                {
                    "Containers": len(e.containers),
                    "Images": len(e.images),
                    "ServerVersion": "0.1.0",
                    "Driver": "overlay",
                },
            )
        elif path == "/containers/json":
            items = []
            for c in e.containers.values():
                if not q.get("all") and c.state != "running":
                    continue
                items.append(
                    {
                        "Id": c.id,
                        "Names": ["/" + c.name],
                        "Image": c.body.get("Image"),
                        "Command": " ".join(c.cmd),
                        "Created": c.created,
                        "State": c.state,
                        "Status": "Up 5 seconds"
                        if c.state == "running"
                        else f"Exited ({c.exit_code}) 2 seconds ago",
                        "Ports": [],
                        "Labels": c.body.get("Labels") or {},
                    }
                )
            self._send(200, items)
        elif seg[0] == "containers" and len(seg) == 3:
            c = e.find(seg[1])
            if c is None:
                self._error(404, f"No such container: {seg[1]}")
            elif seg[2] == "json":
                self._send(200, c.inspect())
            elif seg[2] == "logs":
                data = b"".join(frame(s, d) for s, d in c.output)
                self._send(200, raw=data, ctype="application/vnd.docker.multiplexed-stream")
            elif seg[2] == "top":
                self._send(200, {"Titles": ["PID", "CMD"], "Processes": [["1", "sleep"]]})
            elif seg[2] == "archive":
                path_q = q["path"][0]
                if path_q not in e.files:
                    self._error(404, f"Could not find the file {path_q} in container {seg[1]}")
                    return
                import base64

                name = os.path.basename(path_q.rstrip("/")) or "/"
                is_dir = path_q in getattr(e, "dirs", set())
                stat = {
                    "name": name,
                    "size": 0,
                    "mode": (1 << 31) if is_dir else 0o644,
                    "mtime": "",
                    "linkTarget": "",
                }
                hdr = base64.b64encode(json.dumps(stat).encode()).decode()
                self._send(
                    200,
                    raw=e.files[path_q],
                    ctype="application/x-tar",
                    headers={"X-Docker-Container-Path-Stat": hdr},
                )
            else:
                self._error(404, "page not found")
        elif path == "/images/json":
            self._send(200, list(e.images.values()))
        elif seg[0] == "images" and seg[-1] == "json":
            ref = "/".join(seg[1:-1])
            img = e.images.get(ref) or e.images.get(ref + ":latest")
            if img is None:
                self._error(404, f"No such image: {ref}")
            else:
                self._send(200, img)
        elif seg[0] == "exec" and seg[2] == "json":
            ex = e.execs[seg[1]]
            self._send(200, {"ID": seg[1], "ExitCode": ex["exit"], "Running": False})
        elif path == "/images/get":
            self._send(
                200, raw=b"TARDATA:" + ",".join(q["names"]).encode(), ctype="application/x-tar"
            )
        elif path == "/events":
            self._start_chunked()
            ev = {
                "Type": "container",
                "Action": "start",
                "Actor": {"ID": "abc", "Attributes": {"name": "web"}},
                "time": 1700000000,
                "timeNano": 1700000000123456789,
            }
            self._chunk(json.dumps(ev).encode() + b"\n")
            self._end_chunks()
        elif seg[0] in ("networks", "volumes"):
            self._error(404, f"{seg[0][:-1]} {seg[1]} not found")
        else:
            self._error(404, "page not found")

    def route_delete(self, path: str, q: dict[str, list[str]], body: Any) -> None:
        e = self.engine
        seg = path.strip("/").split("/")
        if seg[0] == "containers":
            c = e.find(seg[1])
            if c is None:
                self._error(404, f"No such container: {seg[1]}")
                return
            if c.state == "running" and not q.get("force"):
                self._error(
                    409,
                    f'cannot remove container "/{c.name}": container is running: '
                    "stop the container before removing or force remove",
                )
                return
            del e.containers[c.id]
            self._send(204)
        elif seg[0] == "images":
            ref = "/".join(seg[1:])
            if ref not in e.images:
                self._error(404, f"No such image: {ref}")
                return
            img = e.images.pop(ref)
            self._send(200, [{"Untagged": ref}, {"Deleted": img["Id"]}])

    def route_put(self, path: str, q: dict[str, list[str]], body: Any) -> None:
        self.engine.put_archives.append((q["path"][0], body))
        self._send(200)

    def route_post(self, path: str, q: dict[str, list[str]], body: Any) -> None:
        e = self.engine
        seg = path.strip("/").split("/")
        if path == "/containers/create":
            image = body.get("Image", "")
            if image not in e.images and image + ":latest" not in e.images:
                self._error(404, f"No such image: {image}")
                return
            with e.lock:
                e.counter += 1
                ident = f"{e.counter:x}".rjust(64, "c")
            name = (q.get("name") or [f"name{e.counter}"])[0]
            e.containers[ident] = Container(ident, name, body)
            self._send(201, {"Id": ident, "Warnings": []})
        elif path == "/images/create":
            if "fromSrc" in q:
                repo = (q.get("repo") or ["imported"])[0]
                e.add_image(repo + ":" + (q.get("tag") or ["latest"])[0])
                self._send(200, raw=json.dumps({"status": "sha256:" + "f" * 64}).encode() + b"\r\n")
                return
            name = q["fromImage"][0]
            tag = (q.get("tag") or ["latest"])[0]
            if name.startswith("missing"):
                self._start_chunked()
                self._chunk(
                    json.dumps(
                        {
                            "errorDetail": {"message": f"pull access denied for {name}"},
                            "error": f"pull access denied for {name}",
                        }
                    ).encode()
                    + b"\r\n"
                )
                self._end_chunks()
                return
            e.add_image(f"{name}:{tag}")
            self._start_chunked()
            self._chunk(
                json.dumps({"status": f"Pulling from {name}", "id": tag}).encode() + b"\r\n"
            )
            self._chunk(
                json.dumps({"status": f"Downloaded newer image for {name}:{tag}"}).encode()
                + b"\r\n"
            )
            self._end_chunks()
        elif path == "/build":
            e.build_headers.append(dict(self.headers))
            self._start_chunked()
            self._chunk(b'{"stream":"Step 1/1 : FROM busybox\\n"}\r\n')
            self._chunk(json.dumps({"aux": {"ID": "sha256:" + "b" * 64}}).encode() + b"\r\n")
            self._end_chunks()
        elif path == "/images/load":
            self._send(
                200, raw=json.dumps({"stream": f"Loaded image: loaded:{len(body)}\n"}).encode()
            )
        elif path == "/pallet/images/bootstrap":
            e.add_image(q["name"][0] + ":latest")
            self._send(200, raw=b'{"status":"Bootstrapping"}\n{"aux":{"ID":"sha256:bb"}}\n')
        elif path == "/images/prune":
            self._send(200, {"ImagesDeleted": [{"Deleted": "sha256:dd"}], "SpaceReclaimed": 2048})
        elif path == "/containers/prune":
            gone = [c.id for c in e.containers.values() if c.state == "exited"]
            for ident in gone:
                del e.containers[ident]
            self._send(200, {"ContainersDeleted": gone, "SpaceReclaimed": 0})
        elif seg[0] == "images" and seg[-1] == "tag":
            ref = "/".join(seg[1:-1])
            if ref not in e.images:
                self._error(404, f"No such image: {ref}")
                return
            e.images[f"{q['repo'][0]}:{q.get('tag', ['latest'])[0]}"] = dict(e.images[ref])
            self._send(201)
        elif seg[0] == "containers" and len(seg) == 3:
            self.container_action(seg[1], seg[2], q, body)
        elif seg[0] == "exec" and seg[2] == "start":
            self.exec_start(seg[1], body)
        else:
            self._error(404, "page not found")

    def container_action(self, ref: str, action: str, q: dict[str, list[str]], body: Any) -> None:
        e = self.engine
        c = e.find(ref)
        if c is None:
            self._error(404, f"No such container: {ref}")
            return
        if action == "start":
            word = (c.cmd or [""])[0]
            if word == "notfound":
                self._error(
                    400,
                    'failed to create task: exec: "notfound": executable file not found in $PATH',
                )
                return
            if word == "noexec":
                self._error(400, "exec /bin/noexec: permission denied")
                return
            if c.state == "running":
                self._send(304)
                return
            e.run(c)
            if word not in ("cat", "sleep") and not c.body.get("OpenStdin"):
                threading.Timer(0.05, self._finish, args=(c,)).start()
            self._send(204)
        elif action in ("stop", "kill"):
            c.state = "exited"
            c.exited.set()
            self._send(204)
        elif action in ("restart", "pause", "unpause", "resize"):
            self._send(204)
        elif action == "rename":
            c.name = q["name"][0]
            self._send(204)
        elif action == "wait":
            self._start_chunked()
            c.exited.wait(10)
            if q.get("condition") == ["removed"] and c.body.get("HostConfig", {}).get("AutoRemove"):
                e.containers.pop(c.id, None)
            self._chunk(json.dumps({"StatusCode": c.exit_code}).encode() + b"\n")
            self._end_chunks()
        elif action == "attach":
            self.hijacked(c, bool(q.get("stdin")), tty=bool(c.body.get("Tty")), before_start=True)
        elif action == "exec":
            exec_id = f"{len(e.execs) + 1:x}".rjust(64, "e")
            e.execs[exec_id] = {"container": c, "config": body, "exit": 0}
            self._send(201, {"Id": exec_id})
        else:
            self._error(404, "page not found")

    def _finish(self, c: Container) -> None:
        c.state = "exited"
        c.exited.set()

    def hijacked(self, c: Container, stdin: bool, tty: bool, before_start: bool) -> None:
        self.wfile.write(
            b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker."
            + (b"raw-stream" if tty else b"multiplexed-stream")
            + b"\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
        )
        self.wfile.flush()
        if before_start:
            c.started.wait(10)
        for stream, data in c.output:
            self.wfile.write(data if tty else frame(stream, data))
        self.wfile.flush()
        if stdin:
            data = b""
            while True:
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            c.stdin_data = data
            if (c.cmd or [""])[0] == "cat":
                self.wfile.write(data if tty else frame(1, data))
                self.wfile.flush()
            self._finish(c)
        else:
            c.exited.wait(10)
        self.close_connection = True

    def exec_start(self, exec_id: str, body: Any) -> None:
        ex = self.engine.execs[exec_id]
        cmd = ex["config"]["Cmd"]
        if body.get("Detach"):
            self._send(200)
            return
        self.wfile.write(
            b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker."
            b"multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
        )
        if cmd[0] == "echo":
            self.wfile.write(frame(1, (" ".join(cmd[1:]) + "\n").encode()))
        elif cmd[0] == "exit":
            ex["exit"] = int(cmd[1])
        elif cmd[0] == "cat":
            data = b""
            while True:
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.wfile.write(frame(1, data))
        self.wfile.flush()
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    handle_error = Server.handle_error


def serve_tcp() -> tuple[Engine, TcpServer, str]:
    """The fake engine on a loopback TCP port: (engine, server, ``tcp://`` host)."""
    engine = Engine()
    handler = type("BoundHandler", (Handler,), {"engine": engine})
    server = TcpServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return engine, server, f"tcp://127.0.0.1:{server.server_address[1]}"


def serve(socket_path: str) -> tuple[Engine, Server]:
    engine = Engine()
    handler = type("BoundHandler", (Handler,), {"engine": engine})
    server = Server(socket_path, handler)
    # BaseHTTPRequestHandler wants a client address tuple
    server.get_request = lambda: (server.socket.accept()[0], ("local", 0))  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return engine, server
