"""What each remote log driver puts on the wire for one log line (pure).

- syslog: RFC 5424 (``<PRI>1 TIMESTAMP HOST TAG PID - - MSG``; ``rfc5424micro`` with
  microseconds) or the BSD form (``rfc3164``: ``<PRI>TIMESTAMP HOST TAG[PID]: MSG``, and
  Docker's default ``<PRI>TIMESTAMP TAG[PID]: MSG``); stdout is severity info, stderr err.
- gelf: GELF 1.1 JSON with Docker's extra fields (``_container_id``, ``_container_name``,
  ``_image_name``, ``_image_id``, ``_tag``, ``_command``, ``_created``), level 6 for
  stdout, 3 for stderr; over UDP compressed (gzip or zlib) and cut into chunks of at most
  1420 bytes (magic ``1e 0f``, 8-byte id, sequence number and count; 128 at most).
- fluentd: the forward protocol's message mode, msgpack ``[tag, time, record]`` with the
  record's ``log``, ``source``, ``container_id`` and ``container_name``.

The line is passed as is (a JSON line from the container stays intact); the tag is
Docker's template (``{{.ID}}``, ``{{.FullID}}``, ``{{.Name}}``, ``{{.ImageName}}``,
``{{.ImageID}}``, ``{{.ImageFullID}}``, ``{{.DaemonName}}``).
"""

from __future__ import annotations

import gzip
import json
import os
import time
import zlib
from dataclasses import dataclass

import msgspec

from pallet.errors import InvalidArgument

CHUNK_SIZE = 1420  # GELF's chunk size for a WAN (Docker's default)
MAX_CHUNKS = 128
STDOUT, STDERR = 1, 2


@dataclass(frozen=True)
class LogMeta:
    """What a shipped line says about its container."""

    id: str
    name: str
    image_name: str
    image_id: str
    command: str = ""
    created: str = ""
    hostname: str = ""


def render_tag(template: str, meta: LogMeta) -> str:
    values = {"ID": meta.id[:12], "FullID": meta.id, "Name": meta.name,
              "ImageName": meta.image_name, "ImageID": meta.image_id.split(":")[-1][:12],
              "ImageFullID": meta.image_id, "DaemonName": "pallet"}
    out = template
    for key, value in values.items():
        out = out.replace("{{.%s}}" % key, value)  # noqa: UP031 - a Go template's braces
    if "{{" in out:
        raise InvalidArgument(f"tag: unsupported template in {template!r}")
    return out


def _stamp(ns: int, digits: int) -> str:
    secs, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if digits == 0:
        return base + "Z"
    return f"{base}.{frac // 10 ** (9 - digits):0{digits}d}Z"


def syslog_message(line: bytes, stream: int, ns: int, tag: str, facility: int, fmt: str,
                   hostname: str, pid: int | None = None) -> bytes:
    severity = 6 if stream == STDOUT else 3
    pri = f"<{facility * 8 + severity}>"
    pid = os.getpid() if pid is None else pid
    if fmt in ("rfc5424", "rfc5424micro"):
        head = f"{pri}1 {_stamp(ns, 6 if fmt == 'rfc5424micro' else 0)} {hostname or '-'} " \
               f"{tag or '-'} {pid} {tag or '-'} - "
    else:
        clock = time.strftime("%b %d %H:%M:%S", time.gmtime(ns // 1_000_000_000))
        clock = clock[:4] + clock[4:6].replace("0", " ", 1) + clock[6:]  # "Dec  6"
        host = f"{hostname} " if fmt == "rfc3164" and hostname else ""
        head = f"{pri}{clock} {host}{tag}[{pid}]: "
    return head.encode() + line


def gelf_payload(line: bytes, stream: int, ns: int, tag: str, meta: LogMeta) -> bytes:
    doc = {
        "version": "1.1", "host": meta.hostname or "-",
        "short_message": line.decode("utf-8", "replace"),
        "timestamp": round(ns / 1e9, 6), "level": 6 if stream == STDOUT else 3,
        "_container_id": meta.id, "_container_name": meta.name,
        "_image_id": meta.image_id, "_image_name": meta.image_name,
        "_command": meta.command, "_tag": tag, "_created": meta.created,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def gelf_compress(payload: bytes, kind: str, level: int) -> bytes:
    if kind == "gzip":
        return gzip.compress(payload, compresslevel=9 if level < 0 else level)
    if kind == "zlib":
        return zlib.compress(payload, level)
    return payload


def gelf_chunks(data: bytes, size: int = CHUNK_SIZE) -> list[bytes]:
    """``data`` as one datagram, or as GELF chunks when it does not fit one."""
    if len(data) <= size:
        return [data]
    body = size - 12
    parts = [data[i:i + body] for i in range(0, len(data), body)]
    if len(parts) > MAX_CHUNKS:
        return []  # too large for GELF over UDP: dropped, as any GELF client does
    mid = os.urandom(8)
    return [b"\x1e\x0f" + mid + bytes((i, len(parts))) + p for i, p in enumerate(parts)]


def fluentd_message(line: bytes, stream: int, ns: int, tag: str, meta: LogMeta) -> bytes:
    record = {"log": line.decode("utf-8", "replace"),
              "source": "stdout" if stream == STDOUT else "stderr",
              "container_id": meta.id, "container_name": "/" + meta.name}
    return msgspec.msgpack.encode([tag, ns // 1_000_000_000, record])
