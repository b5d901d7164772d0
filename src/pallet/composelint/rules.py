"""The compose rules: one function per concern over a normalised service.

Places come from the loader's marks (the line of each mapping key); a list item (one
``ports:`` entry) is found on the lines below its key. Every service of every profile is
checked, enabled or not.
"""

from __future__ import annotations

import os
from typing import Protocol

from pallet.compose.loader import load_document
from pallet.compose.model import Port, Project, Service
from pallet.compose.normalize import to_project
from pallet.compose.options import ProjectOptions
from pallet.compose.yamlsrc import Marks
from pallet.lint.catalogue import RULES
from pallet.lint.model import Finding
from pallet.lint.secrets import why_secret

DEBUG_PORTS = {9229: "Node.js inspector", 9222: "Chrome DevTools", 5858: "Node.js legacy debug",
               5005: "Java JDWP", 5678: "Python debugpy", 2345: "Go delve", 9003: "Xdebug"}
DATABASES = {"postgres": 5432, "postgis": 5432, "mysql": 3306, "mariadb": 3306,
             "mongo": 27017, "mongodb": 27017, "redis": 6379, "valkey": 6379,
             "memcached": 11211, "elasticsearch": 9200, "cassandra": 9042,
             "couchdb": 5984, "neo4j": 7687, "influxdb": 8086, "rabbitmq": 5672}
_ROOT = ("root", "0")


class _Add(Protocol):
    def __call__(self, rule_id: str, message: str, key: str = "", needle: str = "") -> None: ...


class Places:
    """``file:line:col`` of a path in the compose files, from the loader's marks."""

    def __init__(self, marks: Marks, cwd: str) -> None:
        self.marks = marks
        self.cwd = cwd  # the marks' file names are relative to it
        self.lines: dict[str, list[str]] = {}

    def text(self, file: str) -> list[str]:
        if file not in self.lines:
            try:
                with open(os.path.join(self.cwd, file), encoding="utf-8") as f:
                    self.lines[file] = f.read().splitlines()
            except OSError:
                self.lines[file] = []
        return self.lines[file]

    def at(self, path: tuple[str | int, ...], needle: str = "") -> tuple[str, int, int]:
        file, _, line_s = self.marks.where(path).rpartition(":")
        line = int(line_s) if line_s.isdigit() else 1
        lines = self.text(file)
        if needle and 0 < line <= len(lines):
            indent = _indent(lines[line - 1])
            for n in range(line, len(lines)):
                text = lines[n]
                if text.strip() and _indent(text) <= indent:
                    break
                if needle in text.split("#", 1)[0]:
                    return file, n + 1, _indent(text) + 1
        col = _indent(lines[line - 1]) + 1 if 0 < line <= len(lines) else 1
        return file, line, col


def _loopback(port: Port) -> bool:
    """Published on the host's loopback only (``127.0.0.1:5432:5432``): not reachable from
    the network."""
    return (port.host_ip or "").startswith(("127.", "::1", "localhost"))


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def load(options: ProjectOptions) -> tuple[Project, Marks]:
    loaded = load_document(options)
    return to_project(loaded.doc, loaded.name, loaded.env, loaded.marks), loaded.marks


def lint_project(project: Project, marks: Marks, cwd: str = ""
                 ) -> tuple[list[Finding], dict[str, list[str]]]:
    """Findings, and the lines of each file read (for inline ignores); ``cwd`` is the
    directory the project was loaded from (``ProjectOptions.cwd``)."""
    places = Places(marks, cwd or os.getcwd())
    found: list[Finding] = []
    services = {**project.services, **project.disabled}
    for name, svc in sorted(services.items()):
        at = ("services", name)

        def add(rule_id: str, message: str, key: str = "", needle: str = "",
                at: tuple[str, ...] = at, name: str = name) -> None:
            rule = RULES[rule_id]
            file, line, col = places.at((*at, key) if key else at, needle)
            found.append(Finding(rule.id, rule.severity, f"service {name}: {message}",
                                 rule.fix, file, line, col))

        _image(svc, add)
        _ports(svc, add)
        _hardening(svc, add, len(services))
        for key, value in (svc.environment or {}).items():
            why = why_secret(key, value)
            if why:
                add("PL207", why, "environment", key)
    return found, places.lines


def _image(svc: Service, add: _Add) -> None:
    if not svc.image:
        return
    ref = svc.image
    if "@" in ref or "$" in ref:
        return
    tag = ref.rsplit("/", 1)[-1].partition(":")[2]
    if not tag or tag == "latest":
        add("PL201", f"image {ref} is {'latest' if tag else 'untagged'}", "image")


def _ports(svc: Service, add: _Add) -> None:
    base = (svc.image or "").rsplit("/", 1)[-1].partition(":")[0].partition("@")[0]
    for port in svc.ports or []:
        published = port.published or ""
        needle = published or str(port.target)
        what = DEBUG_PORTS.get(port.target) or (DEBUG_PORTS.get(int(published))
                                                if published.isdigit() else "")
        if what:
            add("PL202", f"port {port.target} ({what}) is published", "ports", needle)
        if base in DATABASES and not _loopback(port):
            add("PL203", f"{base} publishes port {port.target} to the host", "ports", needle)


def _hardening(svc: Service, add: _Add, count: int) -> None:
    nets = set(svc.networks or {})
    if count > 1 and svc.network_mode is None and nets <= {"default"}:
        add("PL204", "only on the project's default network")
    limits = svc.deploy.resources.limits if svc.deploy and svc.deploy.resources else None
    missing = [what for what, v in (
        ("memory", svc.mem_limit or (limits.memory if limits else None)),
        ("cpus", svc.cpus or svc.cpu_quota or (limits.cpus if limits else None))) if not v]
    if missing:
        add("PL205", f"no {' and '.join(missing)} limit")
    if svc.healthcheck is None or (not svc.healthcheck.test and not svc.healthcheck.disable):
        add("PL206", "no healthcheck")
    if svc.privileged:
        add("PL208", "privileged: true", "privileged")
    if (svc.user or "").partition(":")[0] in _ROOT:
        add("PL210", f"user: {svc.user}", "user")
    if any(not _loopback(p) for p in svc.ports or []):
        gaps = []
        if not svc.read_only:
            gaps.append("read_only")
        if "ALL" not in {c.upper() for c in svc.cap_drop or []}:
            gaps.append("cap_drop: [ALL]")
        if not any(o.replace("=", ":").startswith("no-new-privileges")
                   and not o.endswith("false") for o in svc.security_opt or []):
            gaps.append("no-new-privileges")
        if gaps:
            add("PL209", f"publishes ports without {', '.join(gaps)}", "ports")

