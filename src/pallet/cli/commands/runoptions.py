"""The flag table ``run`` and ``create`` share (docker's container options) and
``flags_from``, which turns the parsed values into :class:`~pallet.cli.runflags.RunFlags`."""

from __future__ import annotations

from pallet.cli.flags import option
from pallet.cli.runflags import RunFlags
from pallet.cli.runvalues import BYTES, DECIMAL, DURATION, SIZE, STREAM

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _opt(*decls: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(*decls, **kw)


def _dur(name: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(name, type=DURATION, metavar="duration", default="", help=help)


def _bytes(*decls: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(*decls, type=BYTES, metavar="bytes", default="", help=help)


def _multi(*decls: str, help: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option(*decls, multiple=True, help=help)


CONTAINER_OPTIONS = [
    _opt("-d", "--detach", is_flag=True, help="Run container in background and print container ID"),
    _opt("--rm", is_flag=True, help="Automatically remove the container when it exits"),
    _opt("--name", default=None, help="Assign a name to the container"),
    _multi("-e", "--env", help="Set environment variables"),
    _multi("--env-file", help="Read in a file of environment variables"),
    _opt("-w", "--workdir", default="", help="Working directory inside the container"),
    _opt("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])"),
    _opt("-h", "--hostname", default="", help="Container host name"),
    _opt("--domainname", default="", help="Container NIS domain name"),
    _multi("-l", "--label", help="Set meta data on a container"),
    _multi("--label-file", help="Read in a line delimited file of labels"),
    _opt("--entrypoint", default=None, help="Overwrite the default ENTRYPOINT of the image"),
    _opt("-i", "--interactive", is_flag=True, help="Keep STDIN open even if not attached"),
    _opt("-t", "--tty", is_flag=True, help="Allocate a pseudo-TTY"),
    _opt("--init", is_flag=True, help="Run an init inside the container"),
    _opt("--runtime", default="", help="Runtime to use for this container"),
    _multi("-p", "--publish", help="Publish a container's port(s) to the host"),
    _opt("-P", "--publish-all", is_flag=True, help="Publish all exposed ports to random ports"),
    _multi("--expose", help="Expose a port or a range of ports"),
    _multi("-v", "--volume", help="Bind mount a volume"),
    _multi("--mount", help="Attach a filesystem mount to the container"),
    _multi("--tmpfs", help="Mount a tmpfs directory"),
    _multi("--volumes-from", help="Mount volumes from the specified container(s)"),
    _multi("--network", "--net", help="Connect a container to a network"),
    _multi("--network-alias", "--net-alias", help="Add network-scoped alias for the container"),
    _opt("--ip", default="", help="IPv4 address (e.g., 172.30.100.104)"),
    _opt("--ip6", default="", help="IPv6 address"),
    _opt("--mac-address", default="", help="Container MAC address"),
    _multi("--dns", help="Set custom DNS servers"),
    _multi("--dns-search", help="Set custom DNS search domains"),
    _multi("--dns-option", "--dns-opt", help="Set DNS options"),
    _multi("--add-host", help="Add a custom host-to-IP mapping (host:ip)"),
    _opt("--restart", default="no", help="Restart policy to apply when a container exits"),
    _opt("--health-cmd", default="", help="Command to run to check health"),
    _dur("--health-interval", help="Time between running the check"),
    _dur("--health-timeout", help="Maximum time to allow one check to run"),
    _opt("--health-retries", type=int, default=0, help="Consecutive failures needed"),
    _dur("--health-start-period", help="Start period for the container"),
    _dur("--health-start-interval", help="Time between checks during start"),
    _opt("--no-healthcheck", is_flag=True, help="Disable any container-specified HEALTHCHECK"),
    _bytes("-m", "--memory", help="Memory limit"),
    _bytes("--memory-swap", help="Swap limit equal to memory plus swap"),
    _bytes("--memory-reservation", help="Memory soft limit"),
    _opt("--memory-swappiness", type=int, default=-1, help="Tune container memory swappiness"),
    _opt("--cpus", type=DECIMAL, metavar="decimal", default="", help="Number of CPUs"),
    _opt("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)"),
    _opt("--cpu-period", type=int, default=0, help="Limit CPU CFS period"),
    _opt("--cpu-quota", type=int, default=0, help="Limit CPU CFS quota"),
    _opt("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)"),
    _opt("--cpuset-mems", default="", help="MEMs in which to allow execution (0-3, 0,1)"),
    _opt("--pids-limit", type=int, default=0, help="Tune container pids limit (-1 unlimited)"),
    _opt("--oom-kill-disable", is_flag=True, help="Disable OOM Killer"),
    _opt("--oom-score-adj", type=int, default=0, help="Tune host's OOM preferences"),
    _opt("--read-only", is_flag=True, help="Mount the container's root filesystem as read only"),
    _multi("--cap-add", help="Add Linux capabilities"),
    _multi("--cap-drop", help="Drop Linux capabilities"),
    _multi("--security-opt", help="Security Options"),
    _multi("--ulimit", help="Ulimit options"),
    _opt("--log-driver", default="", help="Logging driver for the container"),
    _multi("--log-opt", help="Log driver options"),
    _opt("--stop-signal", default="", help="Signal to stop the container"),
    _opt("--stop-timeout", type=int, default=None, help="Timeout (in seconds) to stop"),
    _opt("--privileged", is_flag=True, help="Give extended privileges to this container"),
    _opt("--shm-size", type=SIZE, metavar="bytes", default="", help="Size of /dev/shm"),
    _multi("--sysctl", help="Sysctl options"),
    _opt("-a", "--attach", multiple=True, type=STREAM, help="Attach to STDIN, STDOUT or STDERR"),
    _opt("--cidfile", default="", help="Write the container ID to the file"),
    _multi("--group-add", help="Add additional groups to join"),
    _multi("--device", help="Add a host device to the container"),
    _opt("--pid", default="", help="PID namespace to use"),
    _opt("--ipc", default="", help="IPC mode to use"),
    _opt("--uts", default="", help="UTS namespace to use"),
    _opt("--userns", default="", help="User namespace to use"),
    _opt("--cgroupns", default="", help="Cgroup namespace to use (host|private)"),
    _opt("--cgroup-parent", default="", help="Optional parent cgroup for the container"),
    _multi("--annotation", help="Add an annotation to the container"),
    _opt("--platform", default="", help="Set platform (ignored)"),
    _opt(
        "--pull", default="missing", help='Pull image before running ("always", "missing", "never")'
    ),
    _opt("--sig-proxy/--no-sig-proxy", default=True, help="Proxy received signals to the process"),
    _opt("--detach-keys", default="", help="Override the key sequence for detaching a container"),
    _opt("-q", "--quiet", is_flag=True, help="Suppress the pull output"),
]
_CLI_ONLY = {"platform", "pull", "sig_proxy", "detach_keys", "quiet"}


def container_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Declare every container option on a command, in table order."""
    for declare in reversed(CONTAINER_OPTIONS):
        fn = declare(fn)
    return fn


def flags_from(params: dict[str, Any]) -> RunFlags:
    """The parsed options as RunFlags, less the CLI-only ones (pull, sig-proxy, ...)."""
    values: dict[str, Any] = {}
    for key, value in params.items():
        if key in _CLI_ONLY:
            continue
        values[key] = list(value) if isinstance(value, tuple) else value
    return RunFlags(**values)
