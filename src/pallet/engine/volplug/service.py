"""Volumes as dockerd manages them: create, list, inspect, remove, prune."""

from __future__ import annotations

from typing import Any

from pallet.api.netmodels import VolumeCreate, wire_body
from pallet.api.responses import VolumesPruned
from pallet.api.view_volumes import Volume, VolumeList, VolumeUsage
from pallet.engine.records import now_rfc3339
from pallet.engine.volplug.plugin import Records, users_of
from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.notation.filters import Filters, dangling_wanted, labels_match
from pallet.volumes.store import VolumeRecord, VolumeStore


class VolumeService:
    def __init__(self, store: VolumeStore, records: Records) -> None:
        self.store = store
        self.records = records

    def view(self, rec: VolumeRecord, usage: bool = False) -> Volume:
        out = Volume(
            CreatedAt=rec.created.split(".")[0].rstrip("Z") + "Z",  # dockerd: whole seconds
            Driver=rec.driver, Labels=dict(rec.labels),
            Mountpoint=str(self.store.path(rec.name)), Name=rec.name,
            Options=dict(rec.options) or None, Scope="local")
        if usage:
            out.UsageData = VolumeUsage(Size=self.store.usage(rec.name),
                                        RefCount=len(users_of(self.records, rec.name)))
        return out

    def create(self, body: dict[str, Any]) -> Volume:
        req = wire_body(body, VolumeCreate)
        driver = req.Driver or "local"
        if driver != "local":
            raise NotFound(f"error looking up volume plugin {driver}: plugin \"{driver}\" "
                           "not found")
        # as in dockerd, a volume created without a name is anonymous (prune takes it)
        rec = self.store.create(req.Name, now_rfc3339(), dict(req.Labels or {}),
                                dict(req.DriverOpts or {}), anonymous=not req.Name)
        return self.view(rec)

    def inspect(self, name: str) -> Volume:
        return self.view(self.store.resolve(name))

    def list(self, filters: Filters) -> VolumeList:
        for key in filters:
            if key not in ("name", "label", "dangling", "driver"):
                raise InvalidArgument(f"invalid filter '{key}'")
        out = [self.view(r) for r in self.store.all() if self._matches(r, filters)]
        return VolumeList(Volumes=out, Warnings=[])

    def _matches(self, rec: VolumeRecord, filters: Filters) -> bool:
        for key, values in filters.items():
            if key == "name":
                ok = any(v in rec.name for v in values)
            elif key == "driver":
                ok = rec.driver in values
            elif key == "dangling":
                ok = (not users_of(self.records, rec.name)) == dangling_wanted(values)
            elif key == "label":
                ok = labels_match(rec.labels, values)
            else:
                ok = True
            if not ok:
                return False
        return True

    def remove(self, name: str, force: bool) -> None:
        rec = self.store.get(name)
        if rec is None:
            if force:
                return
            self.store.resolve(name)
            return
        users = users_of(self.records, name)
        if users:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
        self.store.delete(name)

    def prune(self, filters: Filters) -> VolumesPruned:
        for key in filters:
            if key not in ("label", "label!", "all"):
                raise InvalidArgument(f"invalid filter '{key}'")
        everything = any(v.lower() in ("1", "true") for v in filters.get("all", []))
        deleted: list[str] = []
        space = 0
        for rec in self.store.all():
            if not everything and not rec.anonymous:
                continue
            if not labels_match(rec.labels, filters.get("label", [])):
                continue
            if filters.get("label!") and labels_match(rec.labels, filters["label!"]):
                continue
            if users_of(self.records, rec.name):
                continue
            space += self.store.usage(rec.name)
            self.store.delete(rec.name)
            deleted.append(rec.name)
        return VolumesPruned(VolumesDeleted=deleted or None, SpaceReclaimed=space)
