"""``pallet compose top`` and ``images`` print Compose v2's tables (the expected texts are
what Compose v2.40 printed for the same containers against palletd)."""

from __future__ import annotations

import pytest

from pallet.cli.commands.compose.tables import (
    TopSection,
    image_reference,
    image_row,
    images_table,
    top_table,
)

TITLES = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]


def test_top_is_one_table_of_every_container_by_name_with_service_and_replica() -> None:
    web = TopSection("cmp-web-1", "web", "1", TITLES,
                     [["1001", "30316", "30309", "0", "00:12", "?", "00:00:00",
                       "/bin/sh /app/server.sh"]])
    db = TopSection("cmp-db-1", "db", "1", TITLES, [
        ["70", "30174", "30161", "0", "00:12", "?", "00:00:00",
         "/bin/sh /usr/local/bin/docker-entrypoint.sh postgres"],
        ["70", "30241", "30174", "0", "00:12", "?", "00:00:00",
         "nc -ll -p 5432 -e echo postgres stand-in"]])
    assert top_table([web, db]) == (
        "SERVICE  #   UID   PID    PPID   C   STIME  TTY  TIME      CMD\n"
        "db       1   70    30174  30161  0   00:12  ?    00:00:00  "
        "/bin/sh /usr/local/bin/docker-entrypoint.sh postgres\n"
        "db       1   70    30241  30174  0   00:12  ?    00:00:00  "
        "nc -ll -p 5432 -e echo postgres stand-in\n"
        "web      1   1001  30316  30309  0   00:12  ?    00:00:00  /bin/sh /app/server.sh\n")


def test_top_keeps_cmd_last_and_dashes_a_column_a_container_lacks() -> None:
    a = TopSection("p-a-1", "a", "1", ["PID", "CMD"], [["5", "sh"]])
    b = TopSection("p-b-1", "b", "2", ["PID", "CMD", "USER"], [["6", "top", "root"]])
    lines = top_table([a, b]).splitlines()
    assert lines[0].split() == ["SERVICE", "#", "PID", "USER", "CMD"]
    assert lines[1].split() == ["a", "1", "5", "-", "sh"]
    assert lines[2].split() == ["b", "2", "6", "root", "top"]


def test_top_of_nothing_running_prints_nothing() -> None:
    assert top_table([TopSection("p-a-1", "a", "1", TITLES, [])]) == ""


@pytest.mark.parametrize(("ref", "expected"), [
    ("postgres:15-alpine", ("postgres", "15-alpine")),
    ("cmp-web", ("cmp-web", "latest")),
    ("docker.io/library/redis:7", ("redis", "7")),
    ("docker.io/me/app", ("me/app", "latest")),
    ("localhost:5000/app", ("localhost:5000/app", "latest")),
    ("localhost:5000/app:v2", ("localhost:5000/app", "v2")),
    ("app:v1@sha256:" + "a" * 64, ("app", "")),
    ("sha256:" + "b" * 64, ("", "")),
    ("c" * 64, ("", "")),
])
def test_the_repository_is_the_containers_own_reference(ref: str,
                                                        expected: tuple[str, str]) -> None:
    assert image_reference(ref) == expected


def test_images_names_the_reference_the_container_was_created_from() -> None:
    """One image tagged by two projects' builds: each container shows its own name."""
    image = {"Id": "sha256:280a054fa552b429dabb196f949dd50ead93fdf1aa1598e7e1984380a97be282",
             "RepoTags": ["stack-web:latest", "cmp-web:latest"], "Os": "linux",
             "Architecture": "amd64", "Size": 1989374, "Created": "2026-12-06T23:00:00Z",
             "Metadata": {"LastTagTime": "2026-12-07T00:00:36.325394217Z"}}
    row = image_row({"Names": ["/cmp-web-1"], "Image": "cmp-web"}, image)
    assert {k: v for k, v in row.items() if not k.startswith("_")} == {
        "ID": image["Id"], "ContainerName": "cmp-web-1", "Repository": "cmp-web",
        "Tag": "latest", "Platform": "linux/amd64", "Size": 1989374,
        "LastTagTime": "2026-12-07T00:00:36.325394217Z"}
    now = row["_tagged"] + 11 * 60 + 5
    assert images_table([row], now) == (
        "CONTAINER           REPOSITORY          TAG                 PLATFORM            "
        "IMAGE ID            SIZE                CREATED\n"
        "cmp-web-1           cmp-web             latest              linux/amd64         "
        "280a054fa552        1.99MB              11 minutes ago\n")


def test_an_image_never_tagged_is_dated_by_its_creation() -> None:
    image = {"Id": "sha256:" + "d" * 64, "Os": "linux", "Architecture": "arm64",
             "Variant": "v8", "Created": "2026-12-06T23:00:00Z",
             "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"}}
    row = image_row({"Names": ["/p-x-1"], "Image": "sha256:" + "d" * 64}, image)
    assert row["Platform"] == "linux/arm64/v8"
    assert row["LastTagTime"] == "2026-12-06T23:00:00Z"
    assert images_table([row], row["_tagged"] + 7200).splitlines()[1].split()[1:3] == [
        "<none>", "<none>"]
