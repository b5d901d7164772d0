"""The remote log drivers' options: ``syslog``, ``gelf`` and ``fluentd`` (Docker's names).

Each driver takes Docker's ``--log-opt`` keys (``syslog-address``, ``syslog-facility``,
``syslog-format``, ``gelf-address``, ``gelf-compression-type``, ``fluentd-address``,
``fluentd-async``, ``tag``, ``mode``, ``max-buffer-size``...); an unknown key or a bad
value is refused at create, naming it. The parsed form is a ``ShipConfig``.

Logs still go to the container's local file first (Docker's dual logging, rotated at
20 MB x 5 like the ``local`` driver): ``pallet logs`` reads it, and palletd ships from it,
so a receiver that is slow or down never blocks the container. ``mode=non-blocking``
drops what does not fit ``max-buffer-size`` (1 MB) while the receiver lags;
``mode=blocking`` (the default) holds the shipper back, never the container.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pallet.errors import InvalidArgument
from pallet.notation.sizes import parse_size

REMOTE_DRIVERS = ("syslog", "gelf", "fluentd")
DEFAULT_BUFFER = 1 << 20
_COMMON = {"tag", "mode", "max-buffer-size", "labels", "labels-regex", "env", "env-regex",
           "max-size", "max-file"}
_KEYS = {
    "syslog": {"syslog-address", "syslog-facility", "syslog-format", "syslog-tls-ca-cert",
               "syslog-tls-cert", "syslog-tls-key", "syslog-tls-skip-verify"},
    "gelf": {"gelf-address", "gelf-compression-type", "gelf-compression-level",
             "gelf-tcp-max-reconnect", "gelf-tcp-reconnect-delay"},
    "fluentd": {"fluentd-address", "fluentd-async", "fluentd-async-connect",
                "fluentd-buffer-limit", "fluentd-retry-wait", "fluentd-max-retries",
                "fluentd-sub-second-precision", "fluentd-request-ack"},
}
FACILITIES = {name: code for code, name in enumerate((
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"))}
SYSLOG_FORMATS = ("", "rfc3164", "rfc5424", "rfc5424micro")
_DEFAULT_PORT = {"syslog": 514, "gelf": 12201, "fluentd": 24224}


@dataclass(frozen=True)
class Address:
    scheme: str  # udp | tcp | unix | unixgram
    host: str = ""
    port: int = 0
    path: str = ""


@dataclass(frozen=True)
class ShipConfig:
    driver: str
    address: Address
    tag: str = "{{.ID}}"
    facility: int = 3  # daemon, as Docker's syslog driver
    syslog_format: str = ""
    compression: str = "gzip"  # gelf over UDP: gzip | zlib | none
    compression_level: int = 1
    blocking: bool = True
    max_buffer: int = DEFAULT_BUFFER


def parse_address(driver: str, text: str) -> Address:
    if driver == "fluentd" and text and "://" not in text:
        text = "tcp://" + text  # fluentd-address is host:port
    if not text:
        if driver == "syslog":
            return Address("unixgram", path="/dev/log")
        if driver == "fluentd":
            return Address("tcp", "127.0.0.1", _DEFAULT_PORT[driver])
        raise InvalidArgument("gelf-address is required for the gelf log driver")
    u = urlsplit(text)
    allowed = {"syslog": ("udp", "tcp", "unix", "unixgram"), "gelf": ("udp", "tcp"),
               "fluentd": ("tcp", "unix")}[driver]
    if u.scheme not in allowed:
        raise InvalidArgument(f"{driver}-address: unsupported scheme {u.scheme!r} in "
                              f"{text!r} (use {', '.join(allowed)})")
    if u.scheme.startswith("unix"):
        if not u.path:
            raise InvalidArgument(f"{driver}-address: {text!r} names no socket path")
        return Address(u.scheme, path=u.path)
    try:
        port = u.port or _DEFAULT_PORT[driver]
    except ValueError:
        raise InvalidArgument(f"{driver}-address: invalid port in {text!r}") from None
    if not u.hostname:
        raise InvalidArgument(f"{driver}-address: {text!r} names no host")
    return Address(u.scheme, u.hostname, port)


def parse_ship(driver: str, opts: Mapping[str, str]) -> ShipConfig:
    """Docker's options of a remote driver -> its ``ShipConfig`` (InvalidArgument if bad)."""
    for key in opts:
        if key not in _COMMON and key not in _KEYS[driver]:
            raise InvalidArgument(f"unknown log opt '{key}' for {driver} log driver")
    address = parse_address(driver, opts.get(f"{driver}-address", ""))
    facility = opts.get("syslog-facility", "daemon")
    if facility not in FACILITIES:
        raise InvalidArgument(f"invalid syslog facility {facility!r}")
    fmt = opts.get("syslog-format", "")
    if fmt not in SYSLOG_FORMATS:
        raise InvalidArgument(f"unknown syslog format {fmt!r}: use rfc3164, rfc5424 or "
                              "rfc5424micro")
    compression = opts.get("gelf-compression-type", "gzip")
    if compression not in ("gzip", "zlib", "none"):
        raise InvalidArgument(f"unknown gelf compression type {compression!r}")
    try:
        level = int(opts.get("gelf-compression-level", "1"))
    except ValueError:
        level = -2
    if not -1 <= level <= 9:
        raise InvalidArgument("gelf-compression-level must be an integer from -1 to 9")
    mode = opts.get("mode", "blocking")
    if mode not in ("blocking", "non-blocking"):
        raise InvalidArgument(f"logger: unknown log mode {mode!r}")
    buffer = DEFAULT_BUFFER
    if opts.get("max-buffer-size"):
        if mode != "non-blocking":
            raise InvalidArgument("logger: max-buffer-size option is only supported with "
                                  "'mode=non-blocking'")
        buffer = parse_size(opts["max-buffer-size"])
    if driver == "fluentd" and opts.get("fluentd-buffer-limit"):  # fluentd's own name for it
        buffer = parse_size(opts["fluentd-buffer-limit"])
    if opts.get("fluentd-async", "false") not in ("true", "false"):
        raise InvalidArgument("fluentd-async must be true or false")
    return ShipConfig(driver, address, opts.get("tag") or "{{.ID}}", FACILITIES[facility],
                      fmt, compression, level, mode == "blocking", buffer)
