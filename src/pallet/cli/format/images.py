"""``images`` rows: one per repository:tag (Docker's imageFormat expansion)."""

from __future__ import annotations

from pallet.cli.format.containers import go_time, truncate_id
from pallet.cli.format.table import Row
from pallet.notation.human import ago
from pallet.notation.sizes import human_size

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

IMAGE_HEADERS = {
    "ID": "IMAGE ID",
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Containers": "CONTAINERS",
    "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
    "VirtualSize": "SIZE",
}
IMAGES_TABLE = "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"
IMAGES_TABLE_DIGESTS = (
    "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"
)


def familiar(name: str) -> str:
    """``docker.io/library/busybox`` -> ``busybox``; ``docker.io/u/app`` -> ``u/app``."""
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def split_tag(ref: str) -> tuple[str, str]:
    """``repo:tag`` -> (repo, tag); a ``:`` inside a registry port is not a tag."""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, ""


def image_rows(img: dict[str, Any], now: float, trunc: bool, digests: bool) -> list[Row]:
    tags: dict[str, list[str]] = {}
    digs: dict[str, list[str]] = {}
    for ref in img.get("RepoTags") or []:
        if ref == "<none>:<none>":
            continue
        repo, tag = split_tag(ref)
        tags.setdefault(familiar(repo), []).append(tag)
    for ref in img.get("RepoDigests") or []:
        if ref == "<none>@<none>":
            continue
        repo, _, dgst = ref.partition("@")
        digs.setdefault(familiar(repo), []).append(dgst)
    pairs: list[tuple[str, str, str]] = []
    for repo in sorted(tags):
        repo_digests = digs.pop(repo, [])
        if not digests:
            repo_digests = []
        if not repo_digests:
            pairs.extend((repo, t, "<none>") for t in tags[repo])
        else:
            pairs.extend((repo, t, d) for d in repo_digests for t in tags[repo])
    for repo in sorted(digs):
        if digests:
            pairs.extend((repo, "<none>", d) for d in digs[repo])
        else:
            pairs.append((repo, "<none>", ""))
    if not pairs:
        pairs.append(("<none>", "<none>", "<none>"))
    created = float(img.get("Created") or 0)
    ident = str(img.get("Id", ""))
    size = int(img.get("Size") or 0)
    shared = int(img.get("SharedSize", -1) if img.get("SharedSize") is not None else -1)
    labels = img.get("Labels") or {}
    rows = []
    for repo, tag, dgst in pairs:
        fields = {
            "Containers": "N/A" if int(img.get("Containers", -1)) < 0 else str(img["Containers"]),
            "CreatedAt": go_time(created),
            "CreatedSince": ago(created, now),
            "Digest": dgst,
            "ID": truncate_id(ident) if trunc else ident,
            "Repository": repo,
            "SharedSize": "N/A" if shared < 0 else human_size(shared),
            "Size": human_size(size),
            "Tag": tag,
            "UniqueSize": "N/A" if shared < 0 else human_size(size - shared),
            "VirtualSize": human_size(size),
        }
        rows.append(Row(fields, labels))
    return rows
