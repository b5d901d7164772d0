"""Registry credentials the way the docker CLI keeps them: ``$DOCKER_CONFIG/config.json``
(default ``~/.docker``), ``auths`` entries of base64 ``user:pass``, and ``credsStore``
/ ``credHelpers`` (``docker-credential-<name> get|store|erase``) when configured.

The file is written atomically with mode 0600, keeping every key pallet does not know.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from pathlib import Path

from pallet.errors import InvalidArgument, PalletError

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

HUB_KEY = "https://index.docker.io/v1/"
_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io", HUB_KEY, "")


def config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return Path(base) / "config.json"


def server_key(server: str) -> str:
    """The ``auths`` key for a server as users type it (Docker Hub -> its v1 URL)."""
    s = server.strip()
    bare = s.removeprefix("https://").removeprefix("http://").rstrip("/")
    if s in _HUB or bare.split("/", 1)[0] in _HUB:
        return HUB_KEY
    return bare.split("/", 1)[0]


def registry_of(image: str) -> str:
    """The registry key of an image reference (``127.0.0.1:5000/x`` -> ``127.0.0.1:5000``)."""
    first, sep, _ = image.partition("/")
    if sep and (any(c in first for c in ".:") or first == "localhost"):
        return server_key(first)
    return HUB_KEY


def load() -> dict[str, Any]:
    path = config_path()
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise InvalidArgument(f"cannot read {path}: {e}") from None
    return doc if isinstance(doc, dict) else {}


def save(doc: dict[str, Any]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent="\t")
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _helper(doc: dict[str, Any], key: str) -> str:
    helpers = doc.get("credHelpers") or {}
    name = helpers.get(key) if isinstance(helpers, dict) else None
    if not name:
        name = doc.get("credsStore")
    return str(name) if name else ""


def _run_helper(name: str, action: str, data: str) -> str:
    argv = [f"docker-credential-{name}", action]
    try:
        p = subprocess.run(argv, input=data, capture_output=True, text=True, timeout=30,
                           check=False)
    except FileNotFoundError:
        raise PalletError(f"credential helper {argv[0]} not found") from None
    if p.returncode != 0:
        out = (p.stdout or p.stderr).strip()
        if action == "get" and "credentials not found" in out:
            return ""
        raise PalletError(f"credential helper {argv[0]} {action}: {out or p.returncode}")
    return p.stdout


def get(server: str) -> dict[str, str]:
    """AuthConfig fields (username/password or identitytoken) for ``server``; {} if none."""
    key = server_key(server)
    doc = load()
    helper = _helper(doc, key)
    if helper:
        out = _run_helper(helper, "get", key)
        if out.strip():
            found = json.loads(out)
            user, secret = str(found.get("Username", "")), str(found.get("Secret", ""))
            if user == "<token>":
                return {"identitytoken": secret, "serveraddress": key}
            return {"username": user, "password": secret, "serveraddress": key}
    entry = (doc.get("auths") or {}).get(key) or {}
    if not isinstance(entry, dict):
        return {}
    out_: dict[str, str] = {"serveraddress": key}
    if entry.get("auth"):
        user, _, pw = base64.b64decode(str(entry["auth"])).decode().partition(":")
        out_.update(username=user, password=pw)
    if entry.get("identitytoken"):
        out_["identitytoken"] = str(entry["identitytoken"])
    return out_ if len(out_) > 1 else {}


def store(server: str, username: str, password: str) -> Path:
    key = server_key(server)
    doc = load()
    helper = _helper(doc, key)
    auths = doc.setdefault("auths", {})
    if helper:
        _run_helper(helper, "store", json.dumps(
            {"ServerURL": key, "Username": username, "Secret": password}))
        auths[key] = {}
    else:
        auths[key] = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    save(doc)
    return config_path()


def erase(server: str) -> bool:
    """Forget ``server``; False if nothing was stored."""
    key = server_key(server)
    doc = load()
    helper = _helper(doc, key)
    auths = doc.get("auths") or {}
    found = key in auths
    if helper:
        try:
            _run_helper(helper, "erase", key)
            found = True
        except PalletError:
            pass
    auths.pop(key, None)
    if found:
        save(doc)
    return found


def header_for(image_or_server: str, is_server: bool = False) -> str:
    """The ``X-Registry-Auth`` value for an image's registry (``e30=`` = ``{}``)."""
    key = server_key(image_or_server) if is_server else registry_of(image_or_server)
    found = get(key)
    if not found:
        return "e30="
    return base64.urlsafe_b64encode(json.dumps(found).encode()).decode()
