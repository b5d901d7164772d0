import os
from pathlib import Path

from pallet.system.securejoin import read_inside, secure_join


def test_symlinks_resolve_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("inside\n")
    os.symlink("/etc", root / "abs")
    os.symlink("../../../../etc", root / "up")
    assert secure_join(root, "/abs/passwd") == root / "etc" / "passwd"
    assert secure_join(root, "/up/passwd") == root / "etc" / "passwd"
    assert secure_join(root, "../../etc/passwd") == root / "etc" / "passwd"


def test_a_planted_link_to_host_files_reads_the_containers_copy(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    os.symlink("/etc/shadow", root / "etc" / "passwd")
    assert read_inside(root, "/etc/passwd") is None  # /etc/shadow inside root: absent


def test_last_link_kept_when_not_following(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    os.symlink("/target", root / "link")
    assert secure_join(root, "/link", follow_last=False) == root / "link"
    assert secure_join(root, "/link") == root / "target"


def test_link_loops_are_refused(tmp_path: Path) -> None:
    import pytest

    from pallet.errors import InvalidArgument
    root = tmp_path / "root"
    root.mkdir()
    os.symlink("/b", root / "a")
    os.symlink("/a", root / "b")
    with pytest.raises(InvalidArgument, match="too many levels"):
        secure_join(root, "/a/x")
