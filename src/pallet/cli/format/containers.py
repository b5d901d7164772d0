"""``ps`` rows: Docker's ContainerContext fields from ``GET /containers/json``."""

from __future__ import annotations

import json
import time

from pallet.cli.format.table import Row
from pallet.notation.human import ago
from pallet.notation.ports import format_ports
from pallet.notation.sizes import human_size

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

PS_HEADERS = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Ports": "PORTS",
    "State": "STATE",
    "Status": "STATUS",
    "Size": "SIZE",
    "Names": "NAMES",
    "Labels": "LABELS",
    "Mounts": "MOUNTS",
    "Networks": "NETWORKS",
    "LocalVolumes": "LOCAL VOLUMES",
    "Platform": "PLATFORM",
}
PS_TABLE = (
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}"
    "\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}"
)


def truncate_id(ident: str) -> str:
    """``sha256:abc…`` / ``abc…`` -> the first 12 hex digits."""
    if ":" in ident:
        ident = ident.split(":", 1)[1]
    return ident[:12]


def ellipsis(text: str, max_len: int) -> str:
    """docker's stringutils.Ellipsis: cut to ``max_len`` runes ending with ``…``."""
    if len(text) <= max_len:
        return text
    if max_len <= 1:
        return text[:max_len]
    return text[: max_len - 1] + "…"


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote`` (printable non-ASCII kept as is)."""
    return json.dumps(text, ensure_ascii=False)


def go_time(ts: float) -> str:
    """Go's ``time.Time.String()`` in local time: ``2024-01-02 03:04:05 +0000 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(ts))


def _names(names: list[str]) -> str:
    stripped = [n[1:] if n.startswith("/") else n for n in names]
    plain = [n for n in stripped if "/" not in n]
    return ",".join(plain or stripped)


def _image(c: dict[str, Any], trunc: bool) -> str:
    image = str(c.get("Image", ""))
    if not trunc:
        return image
    if image.startswith("sha256:") or (
        c.get("ImageID") and truncate_id(str(c["ImageID"])) == truncate_id(image)
    ):
        return truncate_id(image)
    if "@sha256:" in image:
        return image.split("@", 1)[0]
    return image


def container_row(c: dict[str, Any], now: float, trunc: bool = True) -> Row:
    labels = c.get("Labels") or {}
    command = str(c.get("Command", ""))
    size = ""
    if "SizeRw" in c or "SizeRootFs" in c:
        srw = human_size(int(c.get("SizeRw") or 0))
        root = int(c.get("SizeRootFs") or 0)
        size = f"{srw} (virtual {human_size(root)})" if root > 0 else srw
    mounts = []
    local_volumes = 0
    for m in c.get("Mounts") or []:
        name = str(m.get("Name") or m.get("Source") or "")
        if trunc:
            name = ellipsis(name, 15)
        mounts.append(name)
        if m.get("Driver") == "local":
            local_volumes += 1
    networks = sorted(((c.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    created = float(c.get("Created") or 0)
    fields = {
        "Command": go_quote(ellipsis(command, 20) if trunc else command),
        "CreatedAt": go_time(created),
        "ID": truncate_id(str(c.get("Id", ""))) if trunc else str(c.get("Id", "")),
        "Image": _image(c, trunc),
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        "LocalVolumes": str(local_volumes),
        "Mounts": ",".join(mounts),
        "Names": _names(list(c.get("Names") or [])),
        "Networks": ",".join(networks),
        "Ports": format_ports(list(c.get("Ports") or [])),
        "RunningFor": ago(created, now),
        "Size": size or "0B",
        "State": str(c.get("State", "")),
        "Status": str(c.get("Status", "")),
    }
    return Row(fields, labels)
