"""Docker --user resolution against passwd/group contents."""

from __future__ import annotations

import pytest

from pallet.errors import InvalidArgument
from pallet.runtime.users import ResolvedUser, resolve_user

PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# comment
app:x:1000:1000:App:/home/app:/bin/sh
nohome:x:1001:1001::
broken line
"""
GROUP = """root:x:0:
wheel:x:10:app,other
staff:x:50:app
app:x:1000:
audio:x:29:
"""


@pytest.mark.parametrize(
    ("user", "group_add", "expect"),
    [
        ("", (), ResolvedUser(0, 0, (), "/root")),
        ("root", (), ResolvedUser(0, 0, (), "/root")),
        ("0", (), ResolvedUser(0, 0, (), "/root")),
        ("app", (), ResolvedUser(1000, 1000, (10, 50), "/home/app")),
        ("1000", (), ResolvedUser(1000, 1000, (10, 50), "/home/app")),
        ("app:audio", (), ResolvedUser(1000, 29, (), "/home/app")),
        ("app:29", (), ResolvedUser(1000, 29, (), "/home/app")),
        ("app:4242", (), ResolvedUser(1000, 4242, (), "/home/app")),
        ("1234", (), ResolvedUser(1234, 0, (), "/")),
        ("1234:5678", (), ResolvedUser(1234, 5678, (), "/")),
        (":50", (), ResolvedUser(0, 50, (), "/root")),
        ("nohome", (), ResolvedUser(1001, 1001, (), "/")),
        ("daemon", ("audio", "7"), ResolvedUser(1, 1, (29, 7), "/usr/sbin")),
        ("app", ("staff",), ResolvedUser(1000, 1000, (10, 50), "/home/app")),
    ],
)
def test_resolve(user: str, group_add: tuple[str, ...], expect: ResolvedUser) -> None:
    assert resolve_user(user, PASSWD, GROUP, group_add) == expect


def test_unknown_user_message() -> None:
    with pytest.raises(InvalidArgument) as ei:
        resolve_user("x", PASSWD, GROUP)
    assert str(ei.value) == "unable to find user x: no matching entries in passwd file"


def test_unknown_group_and_missing_files() -> None:
    with pytest.raises(InvalidArgument, match="unable to find group nope"):
        resolve_user("app:nope", PASSWD, GROUP)
    with pytest.raises(InvalidArgument, match="unable to find group nope"):
        resolve_user("app", PASSWD, GROUP, ["nope"])
    with pytest.raises(InvalidArgument, match="unable to find user app"):
        resolve_user("app", None, None)
    assert resolve_user("5:6", None, None) == ResolvedUser(5, 6, (), "/")


def test_id_range() -> None:
    with pytest.raises(InvalidArgument, match="range"):
        resolve_user("4294967296", PASSWD, GROUP)
