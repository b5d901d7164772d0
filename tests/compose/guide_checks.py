"""One check per guide project (tests/compose/projects/NAME), shared by every compose tier.

``check_NAME(compose, engine)``: ``compose`` is a :class:`compose_projects.Compose` bound to
project NAME, ``engine`` a docker-like CLI runner (``docker`` or ``pallet``) on the same
engine. Each check follows the issue's acceptance for its project and leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt

from compose_projects import (
    SECRET,
    Compose,
    Runner,
    check_logs_follow_ends,
    config_quiet,
    container,
    eventually,
    exec_,
    free_port,
    http_get,
    inspect,
    ps,
    up,
    volumes,
)

MIB = 1024 * 1024


def _lines(compose: Compose, service: str, path: str) -> list[str]:
    return exec_(compose, service, f"cat {path}").stdout.splitlines()


def _count(compose: Compose, service: str, path: str, n: int) -> None:
    eventually(lambda: len(_lines(compose, service, path)) == n, f"{n} lines in {path}")


def check_stack(compose: Compose, engine: Runner) -> None:
    """web + db + redis with a secret: health, the published port, the secret, named
    volumes across ``down`` + ``up`` and gone with ``down -v``, ``logs -f``."""
    port = free_port()
    c = compose.using(WEB_PORT=str(port))
    config_quiet(c)
    with up(c):
        assert http_get(port, "/health") == "ok\n"
        eventually(lambda: ps(c)["db"].get("Health") == "healthy", "db healthy")
        assert "(healthy)" in c("ps").stdout
        # the secret: a file inside, in neither the environment nor inspect
        assert exec_(c, "db", "cat /run/secrets/db_password").stdout.strip() == SECRET
        assert SECRET not in exec_(c, "db", "env").stdout
        assert SECRET not in engine("inspect", container(c, "db")).stdout
        web_env = exec_(c, "web", "env").stdout.splitlines()
        assert "DATABASE_URL=postgres://db:5432/app" in web_env
        # the guide's `restart web`: a new process, same container, still answering
        pid = inspect(engine, container(c, "web"))["State"]["Pid"]
        c("restart", "-t", "2", "web")
        assert inspect(engine, container(c, "web"))["State"]["Pid"] != pid
        assert http_get(port, "/health") == "ok\n"
        # redis (uid 999) writes its fresh named volume over the image's VOLUME /data
        _count(c, "redis", "/data/dump.rdb", 1)
        _count(c, "db", "/var/lib/postgresql/data/starts.log", 1)
        c("down", "-t", "2")
        assert {f"{c.name}_redis_data", f"{c.name}_postgres_data"} <= volumes(engine)
        c("up", "-d")
        _count(c, "redis", "/data/dump.rdb", 2)
        _count(c, "db", "/var/lib/postgresql/data/starts.log", 2)
        check_logs_follow_ends(c)
        c("down", "-v", "-t", "2")
        assert not {v for v in volumes(engine) if v.startswith(f"{c.name}_")}


def check_networks(compose: Compose, engine: Runner) -> None:
    """frontend/backend: web reaches api, api reaches db, web neither resolves nor reaches db."""
    config_quiet(compose)
    with up(compose):
        got = eventually(lambda: exec_(compose, "web", "wget -qO- http://api:3000/health",
                                       check=False).stdout, "web -> api")
        assert got == "ok\n"
        reply = eventually(lambda: exec_(compose, "api", "nc -w 2 db 5432 </dev/null",
                                         check=False).stdout, "api -> db")
        assert "postgres stand-in" in reply
        res = exec_(compose, "web", "ping -c 1 -W 1 db", check=False)
        assert res.returncode != 0 and "bad address" in res.stderr, res
        nets = inspect(engine, container(compose, "db"))["NetworkSettings"]["Networks"]
        assert list(nets) == [f"{compose.name}_backend"]
        db_ip = nets[f"{compose.name}_backend"]["IPAddress"]
        res = exec_(compose, "web", f"nc -w 2 {db_ip} 5432 </dev/null", check=False)
        assert "postgres stand-in" not in res.stdout, (
            f"web reached db ({db_ip}, {compose.name}_backend) across the networks: {res}")


def check_env(compose: Compose, engine: Runner) -> None:
    """``.env`` interpolation, with the shell's environment over ``.env``."""
    config_quiet(compose)
    assert "API_KEY: your-secret-key" in compose("config").stdout
    assert "API_KEY: from-the-shell" in compose.using(API_KEY="from-the-shell")("config").stdout
    with up(compose):
        env = exec_(compose, "web", "env").stdout.splitlines()
        assert {"NODE_ENV=production", "API_KEY=your-secret-key", "DEBUG=false"} <= set(env)


def _started(view: dict[str, object]) -> dt.datetime:
    stamp = str(view["State"]["StartedAt"])  # type: ignore[index]
    head, _, frac = stamp.rstrip("Z").partition(".")
    return dt.datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}")


def check_healthy(compose: Compose, engine: Runner) -> None:
    """depends_on service_healthy: web starts only after db's slow init made it healthy."""
    config_quiet(compose)
    with up(compose):
        db = inspect(engine, container(compose, "db"))
        web = inspect(engine, container(compose, "web"))
        assert db["State"]["Health"]["Status"] == "healthy"
        # db cannot pass pg_isready before its 3 s "initdb" is over
        assert (_started(web) - _started(db)).total_seconds() >= 3.0, (db["State"], web["State"])
        assert ps(compose)["db"]["Health"] == "healthy"


def check_hardened(compose: Compose, engine: Runner) -> None:
    """read-only root, tmpfs, memory/cpu limits, non-root user, no capabilities,
    no-new-privileges; and deploy.resources limits and reservations."""
    config_quiet(compose)
    with up(compose):
        web = inspect(engine, container(compose, "web"))
        hc = web["HostConfig"]
        assert hc["ReadonlyRootfs"] is True and hc["CapDrop"] == ["ALL"]
        assert (hc["Memory"], hc["MemorySwap"], hc["NanoCpus"]) == (512 * MIB, 512 * MIB, 10**9)
        assert any(o.startswith("no-new-privileges") for o in hc["SecurityOpt"])
        assert web["Config"]["User"] == "10001"
        out = exec_(compose, "web", "id -u; touch /x; touch /tmp/x && echo tmp-ok;"
                    " grep -E '^(NoNewPrivs|CapEff)' /proc/self/status", check=False)
        assert out.stdout.splitlines() == ["10001", "tmp-ok", "CapEff:\t0000000000000000",
                                           "NoNewPrivs:\t1"], out
        assert "Read-only file system" in out.stderr
        worker = inspect(engine, container(compose, "worker"))["HostConfig"]
        assert (worker["Memory"], worker["NanoCpus"], worker["MemoryReservation"]) == (
            512 * MIB, 5 * 10**8, 256 * MIB)


def check_volumes(compose: Compose, engine: Runner) -> None:
    """A named volume kept across ``down`` + ``up``, a read-only bind, a tmpfs over an
    image VOLUME."""
    config_quiet(compose)
    data = "/var/lib/postgresql/data"
    with up(compose):
        _count(compose, "db", f"{data}/starts.log", 1)
        src = exec_(compose, "app", "cat /app/src/index.js").stdout
        assert "hello from src" in src
        res = exec_(compose, "app", "touch /app/src/new", check=False)
        assert res.returncode != 0 and "Read-only file system" in res.stderr
        _count(compose, "cache", "/data/dump.rdb", 1)
        fs = exec_(compose, "cache", "grep ' /data ' /proc/mounts").stdout.split()
        assert fs[2] == "tmpfs"
        cache = inspect(engine, container(compose, "cache"))
        assert [m["Destination"] for m in cache["Mounts"]] == []
        compose("down", "-t", "2")
        compose("up", "-d")
        _count(compose, "db", f"{data}/starts.log", 2)
        _count(compose, "cache", "/data/dump.rdb", 1)  # tmpfs: nothing kept
        compose("down", "-v", "-t", "2")
        assert f"{compose.name}_postgres_data" not in volumes(engine)


def check_invalid(compose: Compose, engine: Runner) -> str:
    """A misspelt key (``imagee:``) fails validation naming the key, and nothing is created;
    returns the error output (a tier may ask more of it, e.g. the line)."""
    before = engine("ps", "-aq").stdout, engine("network", "ls", "-q").stdout
    for args in (("config",), ("up", "-d")):
        res = compose(*args, check=False)
        assert res.returncode != 0, res
        assert "imagee" in res.stderr, res
    assert (engine("ps", "-aq").stdout, engine("network", "ls", "-q").stdout) == before
    return str(res.stderr)
