"""``pallet compose events`` prints each engine event as Compose v2.40 prints it (the
expected texts are the real binary's for the same event against palletd)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pallet.cli.commands.compose.imagecmds import event_line

CID = "7aefd06db4c0c44bb4a93cf89b0deb9ec8a4b85b622cb5225c74cd55e5549146"


def event(action: str, oneoff: str = "False", nano: int = 1796603483020992225) -> dict[str, Any]:
    return {"Type": "container", "Action": action, "timeNano": nano, "Actor": {
        "ID": CID, "Attributes": {
            "com.docker.compose.project": "ev", "com.docker.compose.service": "web",
            "com.docker.compose.oneoff": oneoff, "com.docker.compose.config-hash": "ada3",
            "exitCode": "0", "exitReason": "exited successfully", "image": "myapp:1.0.0",
            "name": "ev-web-1"}}}


def test_json_is_a_sorted_map_without_compose_labels() -> None:
    assert event_line(event("die"), True) == ("web", (
        '{"action":"die","attributes":{"exitCode":"0","exitReason":"exited successfully",'
        f'"image":"myapp:1.0.0","name":"ev-web-1"}},"id":"{CID}","service":"web",'
        '"time":"2026-12-07T00:31:23.020992225Z","type":"container"}\n'))


def test_json_time_drops_trailing_zeros_as_go_does() -> None:
    line = event_line(event("die", nano=1796603483_020000000), True)
    assert line is not None and '"time":"2026-12-07T00:31:23.02Z"' in line[1]
    line = event_line(event("die", nano=1796603483_000000000), True)
    assert line is not None and '"time":"2026-12-07T00:31:23Z"' in line[1]


def test_plain_line_names_the_attributes_and_ends_with_an_empty_line() -> None:
    line = event_line(event("die"), False)
    assert line is not None
    head, _, tail = line[1].partition(" container ")
    assert head == datetime.fromtimestamp(1796603483.020992225).strftime(
        "%Y-%m-%d %H:%M:%S.%f")  # local time, as Go's time.Unix
    assert tail == (f"die {CID} (exitCode=0, exitReason=exited successfully, "
                    "image=myapp:1.0.0, name=ev-web-1)\n\n")


def test_one_off_containers_events_are_left_out() -> None:
    assert event_line(event("start", oneoff="True"), False) is None
