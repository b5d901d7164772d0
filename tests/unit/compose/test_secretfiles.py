"""A container's secret and config files are removed with it, and only they."""

from __future__ import annotations

from pathlib import Path

from pallet.compose.secretfiles import remove_files


def test_nested_files_go_links_are_not_followed_and_the_project_dir_goes_last(
        tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("kept")
    project = tmp_path / "files" / "proj"
    one, two = project / "proj-db-1", project / "proj-web-1"
    (one / "run" / "secrets").mkdir(parents=True)
    (one / "run" / "secrets" / "pw").write_text("x")
    (one / "etc.conf").write_text("y")
    (one / "link").symlink_to(outside)
    two.mkdir()
    (two / "cfg").write_text("z")

    remove_files(str(one))
    assert not one.exists() and two.exists()
    assert (outside / "keep.txt").read_text() == "kept"
    remove_files(str(two))
    assert not project.exists() and (tmp_path / "files").exists()
    remove_files(str(two))  # already gone: nothing to do
