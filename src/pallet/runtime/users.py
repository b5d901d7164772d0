"""Resolution of Docker's ``--user`` against a rootfs's /etc/passwd and /etc/group (pure).

Follows runc's ``user.GetExecUser`` (which moby uses): ``""`` is root, ``name`` and
``uid`` look up passwd, ``uid:gid``/``name:group`` set the primary group, and the
implicit form adds the user's supplementary groups from /etc/group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pallet.errors import InvalidArgument

MAX_ID = 0x7FFFFFFF


@dataclass(frozen=True)
class PasswdEntry:
    name: str
    uid: int
    gid: int
    home: str


@dataclass(frozen=True)
class GroupEntry:
    name: str
    gid: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedUser:
    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    home: str


def parse_passwd(text: str) -> list[PasswdEntry]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) < 4:
            continue
        try:
            uid, gid = int(parts[2]), int(parts[3])
        except ValueError:
            continue
        home = parts[5] if len(parts) > 5 else ""
        out.append(PasswdEntry(parts[0], uid, gid, home))
    return out


def parse_group(text: str) -> list[GroupEntry]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) < 3:
            continue
        try:
            gid = int(parts[2])
        except ValueError:
            continue
        members = tuple(m for m in (parts[3] if len(parts) > 3 else "").split(",") if m)
        out.append(GroupEntry(parts[0], gid, members))
    return out


def _numeric(value: str) -> int | None:
    if not value.isdigit():
        return None
    n = int(value)
    if n > MAX_ID:
        raise InvalidArgument(f"uids and gids must be in range 0-{MAX_ID}")
    return n


def _find_group(spec: str, groups: list[GroupEntry]) -> int:
    for g in groups:
        if g.name == spec or str(g.gid) == spec:
            return g.gid
    n = _numeric(spec)
    if n is None:
        raise InvalidArgument(f"unable to find group {spec}: no matching entries in group file")
    return n


def resolve_user(
    user: str,
    passwd: str | None,
    group: str | None,
    group_add: Sequence[str] = (),
) -> ResolvedUser:
    """Resolve ``user`` (``name``, ``uid``, ``uid:gid``, ``name:group``; ``""`` = root).

    ``passwd``/``group`` are the file contents (None when the image has no such file).
    ``group_add`` are Docker's ``--group-add`` values (names or gids).
    """
    users = parse_passwd(passwd or "")
    groups = parse_group(group or "")
    user_part, _, group_part = (user or "").partition(":")
    if not user_part:
        user_part = "0"
    uid_num = _numeric(user_part)
    entry: PasswdEntry | None = None
    for u in users:
        if u.name == user_part or (uid_num is not None and u.uid == uid_num):
            entry = u
            break
    if entry is None and uid_num is None:
        raise InvalidArgument(
            f"unable to find user {user_part}: no matching entries in passwd file")
    uid = entry.uid if entry is not None else (uid_num or 0)
    gid = entry.gid if entry is not None else 0
    home = entry.home if entry is not None and entry.home else "/"
    sgids: list[int] = []
    if group_part:
        gid = _find_group(group_part, groups)
    elif entry is not None:
        sgids = [g.gid for g in groups if entry.name in g.members]
    for extra in group_add:
        sgids.append(_find_group(extra, groups))
    return ResolvedUser(uid, gid, tuple(dict.fromkeys(sgids)), home)
