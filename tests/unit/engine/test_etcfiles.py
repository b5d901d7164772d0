"""/etc/hosts of a container: --add-host in both the host:ip and host=ip forms."""

from __future__ import annotations

from pallet.engine.etcfiles import hosts_file


def test_extra_hosts_in_both_forms() -> None:
    text = hosts_file("web", ["10.0.0.2"], ["db:10.0.0.3", "v6=::1", "old:::2"])
    assert "10.0.0.3\tdb\n" in text and "::1\tv6\n" in text and "::2\told\n" in text
    assert text.endswith("10.0.0.2\tweb\n")
