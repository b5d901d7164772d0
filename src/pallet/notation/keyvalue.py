"""``KEY=VALUE`` notations: env (``-e``, ``--env-file``), labels, sysctls, log opts."""

from __future__ import annotations

import os

from pallet.errors import InvalidArgument

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_WS = " \t"


def parse_env(value: str, environ: Mapping[str, str] | None = None) -> str:
    """One ``-e`` value: ``A=1`` verbatim; bare ``A`` takes the local value if set."""
    key, eq, _ = value.partition("=")
    if not key:
        raise InvalidArgument(f"invalid environment variable: {value}")
    if eq:
        return value
    env = os.environ if environ is None else environ
    if key in env:
        return f"{key}={env[key]}"
    return value


def _parse_lines(text: str, source: str, lookup: Callable[[str], str | None] | None) -> list[str]:
    out: list[str] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    for raw in text.splitlines():
        line = raw.lstrip(_WS)
        if not line or line.startswith("#"):
            continue
        variable, eq, value = line.partition("=")
        if not variable:
            raise InvalidArgument(f"no variable name on line '{line}'")
        if any(c in variable for c in _WS):
            raise InvalidArgument(f"variable '{variable}' contains whitespaces")
        if eq:
            out.append(f"{variable}={value}")
        elif lookup is not None:
            found = lookup(line)
            if found is not None:
                out.append(f"{variable}={found}")
        else:
            out.append(line)
    return out


def parse_env_file_text(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """An env file: ``K=V`` lines kept verbatim (no quote handling, like Docker);
    bare ``K`` takes the local value or is dropped; ``#`` comments skipped."""
    env = os.environ if environ is None else environ
    return _parse_lines(text, "env file", env.get)


def read_env_file(path: str, environ: Mapping[str, str] | None = None,
                  read: Callable[[str], str] | None = None) -> list[str]:
    """The ``KEY=VALUE`` lines of an env file (``read``: how to read its text; as
    ``open(path, encoding="utf-8").read()`` unless given)."""
    try:
        text = (read or _read_utf8)(path)
    except OSError as e:
        raise InvalidArgument(f"open {path}: {e.strerror.lower() if e.strerror else e}") from None
    except UnicodeDecodeError:
        raise InvalidArgument(f"env file {path} contains invalid utf8 bytes") from None
    return parse_env_file_text(text, environ)


def _read_utf8(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def read_label_file(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return _parse_lines(f.read(), "label file", None)
    except OSError as e:
        raise InvalidArgument(f"open {path}: {e.strerror.lower() if e.strerror else e}") from None


def parse_labels(values: list[str]) -> dict[str, str]:
    """``k=v`` -> {k: v}; bare ``k`` -> {k: ""}. Later values win."""
    out: dict[str, str] = {}
    for v in values:
        key, _, val = v.partition("=")
        if not key.strip():
            raise InvalidArgument(f"invalid label format: {v}")
        out[key] = val
    return out


def parse_map(values: list[str], what: str) -> dict[str, str]:
    """Strict ``k=v`` pairs (``--sysctl``, ``--log-opt``, ``--storage-opt``)."""
    out: dict[str, str] = {}
    for v in values:
        key, eq, val = v.partition("=")
        if not key or not eq:
            raise InvalidArgument(f"invalid {what} format: {v}")
        out[key] = val
    return out
