"""Which findings count: ignores, severity overrides and the failure threshold.

Three places turn a rule off: ``--ignore ID`` (repeatable), a config file's ``ignore:``
list, and an inline comment on the finding's line or the comment lines just above it,
``# pallet-lint ignore=PL104,PL113`` (hadolint's ``# hadolint ignore=DL3025`` is honoured
too, through the catalogue's mapping). Ids may be pallet's (PL1xx) or hadolint's (DL3xxx).

The config file is ``.pallet-lint.yaml`` (or ``[tool.pallet-lint]`` in ``pyproject.toml``)
in the first linted file's directory or above, else in the current directory::

    ignore: [PL115, DL3008]
    failure-threshold: warning        # error | warning | info | style | none
    severity: {PL113: style}          # a rule's severity, overridden

A run fails (exit 1) when a finding at or above the threshold remains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

from pallet.errors import InvalidArgument
from pallet.lint.catalogue import RULES
from pallet.lint.model import SEVERITIES, Finding, Report, rank

_INLINE = re.compile(r"#\s*(?:pallet-lint|hadolint)\s+ignore\s*=\s*([A-Za-z0-9_, ]+)")
THRESHOLDS = (*SEVERITIES, "none")


class Config(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="kebab"):
    ignore: list[str] = msgspec.field(default_factory=list)
    failure_threshold: str = "info"
    severity: dict[str, str] = msgspec.field(default_factory=dict)


def expand_ids(ids: Iterable[str]) -> set[str]:
    """pallet ids for ``ids``: PL ids as they are, hadolint ids through the catalogue."""
    out: set[str] = set()
    for raw in ids:
        for one in raw.replace(",", " ").split():
            ident = one.strip().upper()
            if ident in RULES:
                out.add(ident)
                continue
            mapped = {r.id for r in RULES.values() if ident in r.hadolint}
            if not mapped and not ident.startswith("DL") and not ident.startswith("SC"):
                raise InvalidArgument(f"unknown rule id {one!r} (pallet lint --list-rules)")
            out |= mapped
    return out


def check_threshold(value: str) -> str:
    if value not in THRESHOLDS:
        raise InvalidArgument(f"invalid failure threshold {value!r}: one of "
                              f"{', '.join(THRESHOLDS)}")
    return value


def load_config(explicit: str | None, start: list[str]) -> Config:
    """``explicit`` (``--config``), else the first config file found from ``start``'s
    directory upwards, else in the current directory."""
    if explicit:
        found = _read(Path(explicit))
        return found if found is not None else Config()
    dirs = []
    if start:
        first = Path(start[0]).resolve()
        dirs += [first if first.is_dir() else first.parent, *first.parents]
    for d in [*dirs, Path.cwd()]:
        for name in (".pallet-lint.yaml", ".pallet-lint.yml", "pyproject.toml"):
            p = d / name
            if p.is_file():
                found = _read(p)
                if found is not None:
                    return found
    return Config()


def _read(path: Path) -> Config | None:
    """The config in ``path``; None for a pyproject.toml without [tool.pallet-lint]."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidArgument(f"{path}: {e.strerror}") from None
    try:
        if path.name == "pyproject.toml":
            import tomllib

            data = tomllib.loads(text).get("tool", {}).get("pallet-lint")
            if data is None:
                return None
        else:
            import yaml

            data = yaml.safe_load(text) or {}
        config = msgspec.convert(data, Config)
    except (ValueError, msgspec.ValidationError) as e:  # yaml/toml errors are ValueErrors
        raise InvalidArgument(f"{path}: {e}") from None
    check_threshold(config.failure_threshold)
    for rule_id, sev in config.severity.items():
        if sev not in SEVERITIES:
            raise InvalidArgument(f"{path}: severity of {rule_id}: {sev!r} is not one of "
                                  f"{', '.join(SEVERITIES)}")
    return config


def inline_ignores(lines: list[str], line: int) -> set[str]:
    """Rule ids turned off for ``line`` (1-based) by comments on it or just above it."""
    ids: set[str] = set()
    i = line - 1
    if 0 <= i < len(lines):
        ids |= _ids_in(lines[i])
    i -= 1
    while 0 <= i < len(lines) and lines[i].lstrip().startswith("#"):
        ids |= _ids_in(lines[i])
        i -= 1
    return ids


def _ids_in(text: str) -> set[str]:
    m = _INLINE.search(text)
    return expand_ids([m.group(1)]) if m else set()


def apply(found: list[Finding], sources: dict[str, list[str]], config: Config,
          ignore: Iterable[str] = (), threshold: str | None = None) -> Report:
    off = expand_ids([*config.ignore, *ignore])
    limit = check_threshold(threshold or config.failure_threshold)
    kept: list[Finding] = []
    for f in found:
        if f.rule in off or f.rule in inline_ignores(sources.get(f.file, []), f.line):
            continue
        sev = config.severity.get(f.rule)
        kept.append(msgspec.structs.replace(f, severity=sev) if sev else f)
    kept.sort(key=lambda f: (f.file, f.line, f.col, f.rule))
    failed = limit != "none" and any(rank(f.severity) <= rank(limit) for f in kept)
    return Report(kept, limit, failed)
