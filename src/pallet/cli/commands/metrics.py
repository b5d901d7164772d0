"""``pallet metrics rules`` and ``pallet metrics dashboard``: the guide's alerts as
Prometheus alerting rules, and a Grafana dashboard, over palletd's ``metrics-addr`` series
(:mod:`pallet.cli.monitoring`). Neither talks to the daemon."""

from __future__ import annotations

from pallet.cli.flags import command
from pallet.cli.monitoring import dashboard_json, rules_yaml
from pallet.cli.util import echo


@command()
def rules() -> None:
    """Print Prometheus alerting rules for the guide's alerts"""
    echo(rules_yaml(), nl=False)


@command()
def dashboard() -> None:
    """Print a Grafana dashboard (JSON) over palletd's metrics"""
    echo(dashboard_json())
