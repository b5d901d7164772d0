import pytest

from pallet.api.models import CreateRequest, Empty, HealthConfig, HostConfig
from pallet.api.view_config import decode_config
from pallet.engine.configmerge import merge_config, merge_env, process_args
from pallet.errors import InvalidArgument

IMG = decode_config({"Entrypoint": ["/entry"], "Cmd": ["serve"], "Env": ["PATH=/bin", "A=1"],
                     "WorkingDir": "/app", "User": "app", "Labels": {"x": "1"},
                     "StopSignal": "SIGQUIT"})
CID = "c" * 64


@pytest.mark.parametrize(("req", "args"), [
    (CreateRequest(Image="i"), ["/entry", "serve"]),
    (CreateRequest(Image="i", Cmd=["other"]), ["/entry", "other"]),
    (CreateRequest(Image="i", Entrypoint=["/bin/sh"]), ["/bin/sh"]),
    (CreateRequest(Image="i", Entrypoint=[""], Cmd=["ls"]), ["ls"]),
    (CreateRequest(Image="i", Entrypoint=["sh", "-c"], Cmd=["echo hi"]), ["sh", "-c", "echo hi"]),
])
def test_entrypoint_and_cmd(req: CreateRequest, args: list[str]) -> None:
    assert process_args(merge_config(req, IMG, CID)) == args


def test_defaults_come_from_the_image() -> None:
    cfg = merge_config(CreateRequest(Image="i", Env=["A=2", "B=3"], Labels={"y": "2"}), IMG, CID)
    assert cfg.Env == ["PATH=/bin", "A=2", "B=3"]
    assert cfg.WorkingDir == "/app" and cfg.User == "app" and cfg.StopSignal == "SIGQUIT"
    assert cfg.Labels == {"x": "1", "y": "2"}
    assert cfg.Hostname == CID[:12]


def test_request_wins() -> None:
    cfg = merge_config(CreateRequest(Image="i", User="0", WorkingDir="/w", Hostname="h"), IMG, CID)
    assert (cfg.User, cfg.WorkingDir, cfg.Hostname) == ("0", "/w", "h")


def test_no_command() -> None:
    with pytest.raises(InvalidArgument, match="no command"):
        process_args(merge_config(CreateRequest(Image="i"), decode_config({}), CID))


def test_merge_env_overrides_by_key() -> None:
    assert merge_env(["A=1", "B=2"], ["B=3", "C"]) == ["A=1", "B=3", "C"]


@pytest.mark.parametrize(("mode", "asked", "expected"), [
    ("host", "", "vm-host"),  # dockerd: a host-network container takes the host's name
    ("host", "web", "web"),
    ("bridge", "", CID[:12]),
    ("", "", CID[:12]),
])
def test_hostname(mode: str, asked: str, expected: str) -> None:
    req = CreateRequest(Image="i", Hostname=asked, HostConfig=HostConfig(NetworkMode=mode))
    assert merge_config(req, IMG, CID, "vm-host").Hostname == expected


def test_a_stored_config_is_read_with_gos_rules() -> None:
    """Nulls in omitempty fields are absent, a null in a set is ``{}``, keys match in any
    case; the image's sets are unions with the request's."""
    img = decode_config({"cmd": ["sh"], "StopSignal": None, "Shell": None, "Healthcheck": {},
                         "ExposedPorts": {"80/tcp": None}, "Volumes": {"/data": {}}})
    cfg = merge_config(CreateRequest(Image="i", ExposedPorts={"53/udp": Empty()}), img, CID)
    assert cfg.Cmd == ["sh"]
    assert (cfg.StopSignal, cfg.Shell, cfg.Healthcheck) == (None, None, None)
    assert cfg.ExposedPorts == {"80/tcp": Empty(), "53/udp": Empty()}
    assert cfg.Volumes == {"/data": Empty()}


def test_the_image_config_is_not_shared_with_the_container() -> None:
    img = decode_config({"Cmd": ["sh"], "Shell": ["/bin/sh", "-c"], "OnBuild": ["RUN x"],
                         "Healthcheck": {"Test": ["CMD", "true"], "Retries": 2}})
    cfg = merge_config(CreateRequest(Image="i"), img, CID)
    assert cfg.Healthcheck == HealthConfig(Test=["CMD", "true"], Retries=2)
    assert cfg.Shell == ["/bin/sh", "-c"] and cfg.OnBuild == ["RUN x"]
    assert cfg.Shell is not img.Shell and cfg.OnBuild is not img.OnBuild
    assert cfg.Healthcheck is not img.Healthcheck and cfg.Cmd is not img.Cmd
