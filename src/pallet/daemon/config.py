"""palletd's configuration: one typed value, built once at start and passed down.

Sources, strongest first: command-line flags, ``PALLET_*`` environment
variables, the config file, built-in defaults. The file is JSON with Docker's
``daemon.json`` keys where Docker has one (``data-root``, ``exec-root``,
``default-runtime``, ``group``, ``bridge``, ``bip``, ``log-driver``,
``log-opts``, ``insecure-registries``, ``metrics-addr``, ``debug``) and
``metrics`` for pallet's Prometheus endpoint on its socket; it is
``--config-file``, else ``$PALLET_CONFIG``, else ``<root>/daemon.json``.
An unknown key or a value of the wrong type is an error naming the file and
the key, so a typo never passes silently. Nothing here writes ``os.environ``;
the parts read this value.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from pallet.errors import InvalidArgument
from pallet.system.paths import DEFAULT_ROOT, DEFAULT_RUN, Paths

DEFAULT_LOG_OPTS = {"max-size": "20m", "max-file": "5"}
RUNTIMES = ("crun", "runc")


class FileConfig(msgspec.Struct, forbid_unknown_fields=True, rename="kebab", omit_defaults=True):
    """The config file's keys (Docker's daemon.json names)."""

    data_root: str | None = None
    exec_root: str | None = None
    default_runtime: str | None = None
    group: str | None = None
    bridge: str | None = None
    bip: str | None = None
    log_driver: str | None = None
    log_opts: dict[str, str] | None = None
    insecure_registries: list[str] | None = None
    metrics: bool | None = None
    metrics_addr: str | None = None
    debug: bool | None = None


class DaemonConfig(msgspec.Struct, frozen=True, kw_only=True):
    root: Path = DEFAULT_ROOT
    run: Path = DEFAULT_RUN
    runtime: str = "crun"
    group: str = "pallet"
    bridge_name: str | None = None  # None: derived from the run directory
    bridge_subnet: str | None = None
    log_driver: str = "json-file"
    log_opts: dict[str, str] = msgspec.field(default_factory=lambda: dict(DEFAULT_LOG_OPTS))
    insecure_registries: tuple[str, ...] = ()
    metrics: bool = False
    metrics_addr: str | None = None  # host:port serving /metrics over TCP (implies metrics)
    debug: bool = False

    @property
    def metrics_listen(self) -> tuple[str, int] | None:
        return None if self.metrics_addr is None else split_addr(self.metrics_addr)

    @property
    def paths(self) -> Paths:
        return Paths(root=self.root, run=self.run)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="palletd", description="pallet's container daemon")
    p.add_argument("--config-file", type=Path, default=None,
                   help="daemon configuration file (default <root>/daemon.json)")
    p.add_argument("--root", type=Path, default=None, help="state directory")
    p.add_argument("--run", type=Path, default=None, help="runtime directory (socket)")
    p.add_argument("--runtime", default=None, help="default OCI runtime: crun or runc")
    p.add_argument("--group", default=None, help="group that may use the socket")
    p.add_argument("--bridge-subnet", default=None,
                   help="subnet of the default bridge network (default 10.99.0.0/16)")
    p.add_argument("--bridge-name", default=None, help="link name of the default bridge")
    p.add_argument("--debug", action="store_true", default=None)
    return p


def _env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    simple = {"PALLET_ROOT": "root", "PALLET_RUN": "run", "PALLET_RUNTIME": "runtime",
              "PALLET_BRIDGE_NAME": "bridge_name", "PALLET_BRIDGE_SUBNET": "bridge_subnet",
              "PALLET_LOG_DRIVER": "log_driver"}
    for var, key in simple.items():
        if env.get(var):
            out[key] = env[var]
    if env.get("PALLET_LOG_OPTS") is not None:
        text = env["PALLET_LOG_OPTS"]
        out["log_opts"] = dict(kv.split("=", 1) for kv in text.split(",") if "=" in kv)
    if env.get("PALLET_METRICS"):
        out["metrics"] = env["PALLET_METRICS"] not in ("0", "false")
    if env.get("PALLET_INSECURE_REGISTRIES"):
        out["insecure_registries"] = tuple(
            h.strip() for h in env["PALLET_INSECURE_REGISTRIES"].split(",") if h.strip())
    return out


def _file(path: Path, required: bool) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise InvalidArgument(f"{path}: no such configuration file") from None
        return {}
    try:
        doc = msgspec.json.decode(raw, type=FileConfig)
    except msgspec.ValidationError as e:
        raise InvalidArgument(f"{path}: {e}") from None
    except msgspec.DecodeError as e:
        raise InvalidArgument(f"{path}: not valid JSON: {e}") from None
    out: dict[str, Any] = {
        "root": doc.data_root, "run": doc.exec_root, "runtime": doc.default_runtime,
        "group": doc.group, "bridge_name": doc.bridge, "bridge_subnet": _subnet_of(doc.bip),
        "log_driver": doc.log_driver, "log_opts": doc.log_opts, "metrics": doc.metrics,
        "metrics_addr": doc.metrics_addr, "debug": doc.debug,
        "insecure_registries": tuple(doc.insecure_registries)
        if doc.insecure_registries is not None else None,
    }
    return {k: v for k, v in out.items() if v is not None}


def split_addr(addr: str) -> tuple[str, int]:
    """``127.0.0.1:9323``, ``[::1]:9323`` or ``:9323`` (every address) as (host, port)."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidArgument(f"metrics-addr: {addr!r} is not host:port")
    return host.strip("[]") or "0.0.0.0", int(port)


def _subnet_of(bip: str | None) -> str | None:
    """Docker's ``bip`` is the bridge's address with its prefix (10.99.0.1/16)."""
    if bip is None:
        return None
    import ipaddress

    try:
        return str(ipaddress.ip_interface(bip).network)
    except ValueError:
        raise InvalidArgument(f"bip: invalid address {bip!r}") from None


def load(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> DaemonConfig:
    """Flags over environment over the config file over defaults."""
    env = os.environ if env is None else env
    args = parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if v is not None and k != "config_file"}
    from_env = _env(env)
    root = Path(flags.get("root") or from_env.get("root") or DEFAULT_ROOT)
    named = args.config_file or (Path(env["PALLET_CONFIG"]) if env.get("PALLET_CONFIG") else None)
    from_file = _file(named or root / "daemon.json", required=named is not None)
    merged = {**from_file, **from_env, **flags}
    for key in ("root", "run"):
        if key in merged:
            merged[key] = Path(merged[key])
    if merged.get("metrics_addr") is not None:
        split_addr(merged["metrics_addr"])  # a bad address fails here, not at the first scrape
    if merged.get("runtime", "crun") not in RUNTIMES:
        raise InvalidArgument(f"unknown runtime {merged['runtime']!r}: use crun or runc")
    if "log_opts" in merged:
        merged["log_opts"] = {str(k): str(v) for k, v in merged["log_opts"].items()}
    return DaemonConfig(**merged)
