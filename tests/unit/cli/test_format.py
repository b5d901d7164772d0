"""Go-template subset, tabwriter, ps/images rows with a fixed clock."""

from __future__ import annotations

import json

import pytest

from pallet.cli.format.containers import PS_HEADERS, PS_TABLE, container_row, ellipsis
from pallet.cli.format.images import IMAGE_HEADERS, IMAGES_TABLE, image_rows
from pallet.cli.format.table import Row, render_rows, tabwrite
from pallet.cli.format.template import TemplateError, render

OBJ = {
    "Id": "abc",
    "State": {"ExitCode": 3, "Running": False, "Status": "exited"},
    "Config": {"Env": ["A=1", "B=2"], "Labels": {"b": "2", "a": "1"}},
    "NetworkSettings": {
        "IPAddress": "10.0.0.2",
        "Networks": {"n1": {"IPAddress": "10.1.0.2"}, "n2": {"IPAddress": "10.2.0.2"}},
    },
    "Mounts": [],
}


@pytest.mark.parametrize(
    ("tmpl", "out"),
    [
        ("{{.State.ExitCode}}", "3"),
        ("{{.NetworkSettings.IPAddress}}", "10.0.0.2"),
        ("{{json .Config.Env}}", '["A=1","B=2"]'),
        ("{{json .State}}", '{"ExitCode":3,"Running":false,"Status":"exited"}'),
        ('{{index .Config.Labels "a"}}', "1"),
        ("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}", "a=1 b=2 "),
        ("{{range .NetworkSettings.Networks}}{{.IPAddress}},{{end}}", "10.1.0.2,10.2.0.2,"),
        ("{{if .State.Running}}up{{else}}down{{end}}", "down"),
        ("{{if eq .State.ExitCode 3}}three{{end}}", "three"),
        ("{{.Nope}}", "<no value>"),
        ("{{.Config.Labels}}", "map[a:1 b:2]"),
        ('{{join .Config.Env ","}}', "A=1,B=2"),
        ("{{.Id | upper}}", "ABC"),
        ("{{len .Config.Env}}", "2"),
        ("{{range .Mounts}}x{{else}}none{{end}}", "none"),
        ("a\t{{- .Id -}}\n b", "aabcb"),
        ('{{printf "%s-%d" .Id .State.ExitCode}}', "abc-3"),
        ("{{with .State}}{{.Status}}{{end}}", "exited"),
        ("{{not .State.Running}}", "true"),
    ],
)
def test_template(tmpl: str, out: str) -> None:
    assert render(tmpl, OBJ) == out


@pytest.mark.parametrize("tmpl", ["{{if .A}}", "{{end}}", "{{nofunc .A}}", "{{.A ."])
def test_template_errors(tmpl: str) -> None:
    with pytest.raises(TemplateError):
        render(tmpl, OBJ)


def test_tabwrite_matches_go_tabwriter() -> None:
    text = tabwrite(["A\tBB\tC", "longer-cell\tx\ty"])
    assert text == "A             BB        C\nlonger-cell   x         y\n"


def test_row_label_method_and_json() -> None:
    row = Row({"ID": "1", "Names": "web"}, {"com.example": "v"})
    assert render_rows('{{.Names}} {{.Label "com.example"}}', [row], {}) == "web v\n"
    assert json.loads(render_rows("{{json .}}", [row], {})) == {"ID": "1", "Names": "web"}
    assert render_rows("json", [row], {}) == '{"ID":"1","Names":"web"}\n'
    assert render_rows(
        "table {{.ID}}\\t{{.Names}}", [row], {"ID": "CONTAINER ID", "Names": "NAMES"}
    ) == ("CONTAINER ID   NAMES\n1              web\n")


NOW = 1_700_000_000.0
CONTAINER = {
    "Id": "0123456789abcdef" * 4,
    "Names": ["/web"],
    "Image": "busybox",
    "ImageID": "sha256:" + "ab" * 32,
    "Command": "sh -c 'while true; do sleep 1; done'",
    "Created": NOW - 5,
    "State": "running",
    "Status": "Up 3 seconds",
    "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}],
    "Labels": {"a": "1"},
    "SizeRw": 12,
    "SizeRootFs": 4_260_000,
}


def test_ps_row_and_table() -> None:
    row = container_row(CONTAINER, NOW)
    assert row["ID"] == "0123456789ab"
    assert row["Command"] == '"sh -c \'while true; …"'
    assert row["RunningFor"] == "5 seconds ago"
    assert row["Ports"] == "0.0.0.0:8080->80/tcp"
    assert row["Size"] == "12B (virtual 4.26MB)"
    assert row.Label("a") == "1"
    out = render_rows(PS_TABLE, [row], PS_HEADERS).splitlines()
    assert out[0].split("   ")[0] == "CONTAINER ID"
    assert out[0].startswith("CONTAINER ID   IMAGE     COMMAND                  CREATED")
    assert out[1].startswith('0123456789ab   busybox   "sh -c \'while true; …"   5 seconds ago')
    assert out[1].endswith("0.0.0.0:8080->80/tcp   web")
    full = container_row(CONTAINER, NOW, trunc=False)
    assert full["ID"] == CONTAINER["Id"]
    assert full["Command"] == json.dumps(CONTAINER["Command"])


def test_ellipsis() -> None:
    assert ellipsis("abcdef", 4) == "abc…"
    assert ellipsis("abc", 4) == "abc"


def test_images_rows() -> None:
    img = {
        "Id": "sha256:" + "ab" * 32,
        "RepoTags": ["busybox:latest", "busybox:1.36", "docker.io/library/alpine:3"],
        "RepoDigests": ["busybox@sha256:" + "cd" * 32],
        "Created": NOW - 3 * 86400,
        "Size": 4_260_000,
    }
    rows = image_rows(img, NOW, trunc=True, digests=False)
    assert [(r["Repository"], r["Tag"]) for r in rows] == [
        ("alpine", "3"),
        ("busybox", "latest"),
        ("busybox", "1.36"),
    ]
    assert rows[0]["ID"] == "abababababab"
    assert rows[0]["CreatedSince"] == "3 days ago"
    assert rows[0]["Size"] == "4.26MB"
    with_digests = image_rows(img, NOW, trunc=True, digests=True)
    assert with_digests[1]["Digest"] == "sha256:" + "cd" * 32
    dangling = image_rows(
        {"Id": "sha256:ff", "RepoTags": [], "Created": NOW, "Size": 0}, NOW, True, False
    )
    assert (dangling[0]["Repository"], dangling[0]["Tag"]) == ("<none>", "<none>")
    table = render_rows(IMAGES_TABLE, rows[:1], IMAGE_HEADERS)
    assert table.splitlines() == [
        "REPOSITORY   TAG       IMAGE ID       CREATED      SIZE",
        "alpine       3         abababababab   3 days ago   4.26MB",
    ]
