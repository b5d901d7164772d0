"""Bridge names: Linux interface rules, one network per bridge, never a host bridge."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.errors import Conflict, InvalidArgument
from pallet.network.bridges import check_bridge_name, claim_bridge


@pytest.mark.parametrize("name", ["br0", "pl-0123456789ab", "a" * 15, "my_br.1"])
def test_valid_names(name: str) -> None:
    check_bridge_name(name)


@pytest.mark.parametrize("name", ["", "a" * 16, "br/0", "br 0", "br:0", ".", "..", "bré"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidArgument):
        check_bridge_name(name)


def test_host_interface_refused_and_owned_conflicts(tmp_path: Path) -> None:
    (tmp_path / "docker0").mkdir()
    with pytest.raises(InvalidArgument, match="does not own"):
        claim_bridge("docker0", {}, tmp_path)
    with pytest.raises(Conflict, match="used by network web"):
        claim_bridge("plweb", {"plweb": "web"}, tmp_path)
    claim_bridge("fresh0", {"plweb": "web"}, tmp_path)
