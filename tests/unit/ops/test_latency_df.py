"""The request latency histogram and docker system df's summary arithmetic."""

from __future__ import annotations

from typing import Any

import msgspec
from prometheus_client.parser import text_string_to_metric_families

from pallet.api.responses import DiskUsage
from pallet.cli.commands.housekeeping import summary_rows
from pallet.engine.metrics import EngineMetrics


def test_latency_histogram_is_cumulative() -> None:
    lat = EngineMetrics(buckets=(0.01, 0.1))
    lat.observe("GET", "/info", 200, 0.005)
    lat.observe("GET", "/info", 200, 0.05)
    lat.observe("GET", "/info", 200, 3.0)
    fams = {f.name: f for f in text_string_to_metric_families(lat.render().decode())}
    fam = fams["pallet_http_request_duration_seconds"]
    assert fam.type == "histogram"
    got = {(s.name.rsplit("_", 1)[1], s.labels.get("le")): s.value for s in fam.samples
           if s.labels["route"] == "/info" and s.labels["code"] == "200"}
    assert got[("bucket", "0.01")] == 1 and got[("bucket", "0.1")] == 2
    assert got[("bucket", "+Inf")] == 3 and got[("count", None)] == 3
    assert got[("sum", None)] == 3.055


def test_df_summary_like_docker() -> None:
    doc: dict[str, Any] = {
        "LayersSize": 3000,
        "Images": [{"Size": 2000, "SharedSize": 1000, "Containers": 1},
                   {"Size": 1000, "SharedSize": 1000, "Containers": 0}],
        "Containers": [{"State": "running", "SizeRw": 100}, {"State": "exited", "SizeRw": 300}],
        "Volumes": [{"UsageData": {"RefCount": 1, "Size": 50}},
                    {"UsageData": {"RefCount": 0, "Size": 150}}],
        "BuildCache": [{"Size": 10, "InUse": False, "Shared": False},
                       {"Size": 99, "InUse": False, "Shared": True}],
    }
    assert summary_rows(msgspec.convert(doc, DiskUsage)) == [
        ("Images", 2, 1, "3kB", "2kB (66%)"),
        ("Containers", 2, 1, "400B", "300B (75%)"),
        ("Local Volumes", 2, 1, "200B", "150B (75%)"),
        ("Build Cache", 2, 0, "10B", "10B"),
    ]
