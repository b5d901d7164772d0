"""``docker commit --change`` lines applied to an image config with the builder's rules."""

from __future__ import annotations

import pytest

from pallet.build.changes import apply_commit_changes
from pallet.errors import InvalidArgument

BASE = {"Env": ["PATH=/bin", "HOME=/root"], "Cmd": ["sh"], "WorkingDir": "/srv"}


def test_env_expands_against_the_config_and_replaces_by_key() -> None:
    out = apply_commit_changes(BASE, ["ENV PATH=$PATH:/opt/bin GREETING=\"hello world\"",
                                      "ENV LEGACY form with spaces"])
    assert out["Env"] == ["HOME=/root", "PATH=/bin:/opt/bin", "GREETING=hello world",
                          "LEGACY=form with spaces"]
    assert BASE["Env"] == ["PATH=/bin", "HOME=/root"]  # the input is not changed


def test_cmd_and_entrypoint_forms() -> None:
    out = apply_commit_changes(BASE, ['CMD ["cat", "/x"]'])
    assert out["Cmd"] == ["cat", "/x"]
    out = apply_commit_changes(BASE, ["CMD echo $HOME"])
    assert out["Cmd"] == ["/bin/sh", "-c", "echo $HOME"]  # the shell expands it at run time
    out = apply_commit_changes({**BASE, "Shell": ["/bin/ash", "-e", "-c"]}, ["CMD true"])
    assert out["Cmd"] == ["/bin/ash", "-e", "-c", "true"]
    # ENTRYPOINT clears Cmd, unless a CMD came first in the same changes (as in a build)
    assert apply_commit_changes(BASE, ['ENTRYPOINT ["top"]'])["Cmd"] is None
    both = apply_commit_changes(BASE, ['CMD ["-b"]', 'ENTRYPOINT ["top"]'])
    assert both["Entrypoint"] == ["top"] and both["Cmd"] == ["-b"]


def test_metadata_instructions() -> None:
    out = apply_commit_changes(BASE, [
        "LABEL a=1 \"b c\"=2", "EXPOSE 80 53/udp 8000-8001", "VOLUME /data /cache",
        "VOLUME [\"/logs\"]", "USER nobody", "WORKDIR sub", "STOPSIGNAL SIGINT",
        "ONBUILD RUN echo hi", "HEALTHCHECK --interval=5s CMD true", "  ", "# comment",
    ])
    assert out["Labels"] == {"a": "1", "b c": "2"}
    assert set(out["ExposedPorts"]) == {"80/tcp", "53/udp", "8000/tcp", "8001/tcp"}
    assert set(out["Volumes"]) == {"/data", "/cache", "/logs"}
    assert out["User"] == "nobody" and out["WorkingDir"] == "/srv/sub"
    assert out["StopSignal"] == "SIGINT" and out["OnBuild"] == ["RUN echo hi"]
    assert out["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000}


@pytest.mark.parametrize("line, message", [
    ("RUN echo hi", "run is not a valid change command"),
    ("COPY a b", "copy is not a valid change command"),
    ("FROM busybox", "from is not a valid change command"),
    ("BOGUS x", "bogus is not a valid change command"),
    ("ENV", "ENV requires at least one argument"),
    ("EXPOSE 80/xyz", "invalid proto: xyz"),
    ("USER", "USER requires an argument"),
])
def test_refused_changes_are_400(line: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        apply_commit_changes(BASE, [line])
