"""The compose planner's decisions, one table row each: what ``up``, ``down``,
``start`` and ``stop`` plan for a desired project and what the engine holds."""

from __future__ import annotations

import pytest

from pallet.compose.confighash import network_hash, service_hash, volume_hash
from pallet.compose.plan import (
    Dependency,
    Desired,
    DesiredResource,
    DesiredService,
    DownOptions,
    Observed,
    ObservedContainer,
    Plan,
    UpOptions,
)
from pallet.compose.planner import dependency_order, plan_up
from pallet.compose.remake import diverged
from pallet.compose.stopplan import plan_down, plan_start, restart_dependents
from pallet.errors import InvalidArgument, NotFound

NETS = [DesiredResource("default", "p_default"), DesiredResource("back", "p_back")]
VOLS = [DesiredResource("data", "p_data")]


def project(**over: DesiredService) -> Desired:
    """db <- web (healthy) <- proxy (started); db uses a volume and the back network."""
    services = {
        "db": DesiredService("db", "h-db", networks=["back"], volumes=["data"]),
        "web": DesiredService("web", "h-web", networks=["default", "back"],
                              depends_on={"db": Dependency("service_healthy")}),
        "proxy": DesiredService("proxy", "h-proxy", networks=["default"],
                                depends_on={"web": Dependency()}),
    }
    services.update(over)
    return Desired("p", list(services.values()), NETS, VOLS)


def ctr(service: str, n: int = 1, state: str = "running", h: str = "",
        name: str = "") -> ObservedContainer:
    return ObservedContainer(id=f"id-{service}-{n}", name=name or f"p-{service}-{n}",
                             service=service, number=n, state=state,
                             config_hash=h or f"h-{service}")


ALL_UP = Observed(containers=[ctr("db"), ctr("web"), ctr("proxy")],
                  networks=["p_default", "p_back"], volumes=["p_data"])


def kinds(plan: Plan) -> list[str]:
    return [s.id for s in plan.steps]


def test_fresh_project_creates_everything_then_starts_in_dependency_order() -> None:
    plan = plan_up(project(), Observed(), UpOptions())
    assert kinds(plan) == [
        "network:default", "network:back", "volume:data",
        "create:p-db-1", "create:p-web-1", "create:p-proxy-1",
        "start:p-db-1", "wait:web:db", "start:p-web-1", "start:p-proxy-1",
    ]
    steps = {s.id: s for s in plan.steps}
    assert set(steps["create:p-db-1"].after) == {"network:back", "volume:data"}
    assert set(steps["create:p-web-1"].after) == {"network:default", "network:back",
                                                  "create:p-db-1"}
    assert steps["wait:web:db"].after == ("start:p-db-1",)
    assert steps["wait:web:db"].condition == "service_healthy"
    assert set(steps["start:p-web-1"].after) == {"wait:web:db", "create:p-web-1"}
    assert set(steps["start:p-proxy-1"].after) == {"start:p-web-1", "create:p-proxy-1"}


@pytest.mark.parametrize(("observed", "opts", "over", "expected"), [
    # nothing changed: nothing to do
    (ALL_UP, UpOptions(), {}, []),
    # one service's config hash changed: only it is recreated and started
    (ALL_UP, UpOptions(), {"proxy": DesiredService("proxy", "h-new", networks=["default"],
                                                   depends_on={"web": Dependency()})},
     ["recreate:p-proxy-1", "start:p-proxy-1"]),
    # --force-recreate recreates every container
    (ALL_UP, UpOptions(recreate="force", recreate_deps="force"), {},
     ["recreate:p-db-1", "recreate:p-proxy-1", "recreate:p-web-1",
      "start:p-db-1", "wait:web:db", "start:p-web-1", "start:p-proxy-1"]),
    # --no-recreate keeps a changed service's container
    (ALL_UP, UpOptions(recreate="never"), {"db": DesiredService("db", "h-other")}, []),
    # a stopped, unchanged container is started, not recreated
    (Observed([ctr("db", state="exited"), ctr("web"), ctr("proxy")],
              ["p_default", "p_back"], ["p_data"]), UpOptions(), {},
     ["start:p-db-1"]),
])
def test_up_decisions(observed: Observed, opts: UpOptions, over: dict[str, DesiredService],
                      expected: list[str]) -> None:
    plan = plan_up(project(**over), observed, opts)
    assert sorted(kinds(plan)) == sorted(expected)
    # what keeps running untouched is only reported (Compose v2's "Running" lines)
    touched = {s.name for s in plan.steps}
    assert set(plan.running) == {c.name for c in observed.containers
                                 if c.state == "running" and c.name not in touched}


def test_service_subset_brings_its_dependencies_unless_no_deps() -> None:
    plan = plan_up(project(), Observed(), UpOptions(services=["web"]))
    assert {s.service for s in plan.steps if s.kind == "create_container"} == {"db", "web"}
    assert "network:default" in kinds(plan)
    plan = plan_up(project(), Observed(), UpOptions(services=["web"], no_deps=True))
    assert {s.service for s in plan.steps if s.kind == "create_container"} == {"web"}
    assert "wait:web:db" not in kinds(plan)  # a dependency left out is not waited for


def test_force_recreate_applies_to_named_services_not_their_dependencies() -> None:
    plan = plan_up(project(), ALL_UP, UpOptions(services=["web"], recreate="force"))
    assert [s.id for s in plan.steps if s.kind == "recreate_container"] == ["recreate:p-web-1"]


def test_scale_up_adds_numbers_after_the_highest_and_scale_down_removes_the_highest() -> None:
    observed = Observed([ctr("db"), ctr("web", 1), ctr("web", 3), ctr("proxy")],
                        ["p_default", "p_back"], ["p_data"])
    up = plan_up(project(), observed, UpOptions(scale={"web": 4}))
    assert [s.name for s in up.steps if s.kind == "create_container"] == ["p-web-4", "p-web-5"]
    down = plan_up(project(), observed, UpOptions(scale={"web": 1}))
    assert [s.id for s in down.steps if s.kind != "wait_dependency"] == [
        "stop:p-web-3", "remove:p-web-3"]


def test_scale_down_drops_outdated_containers_first() -> None:
    observed = Observed([ctr("db"), ctr("web", 1, h="old"), ctr("web", 2), ctr("proxy")],
                        ["p_default", "p_back"], ["p_data"])
    plan = plan_up(project(), observed, UpOptions(scale={"web": 1}))
    assert "remove:p-web-1" in kinds(plan)
    assert not [s for s in plan.steps if s.kind in ("recreate_container", "create_container")]


def test_container_name_cannot_scale() -> None:
    named = DesiredService("db", "h-db", container_name="mydb", networks=["back"])
    plan = plan_up(project(db=named), Observed(), UpOptions())
    assert "create:mydb" in kinds(plan)
    with pytest.raises(InvalidArgument, match="custom container name"):
        plan_up(project(db=named), Observed(), UpOptions(scale={"db": 2}))


def test_orphans_warn_or_are_removed() -> None:
    observed = Observed([*ALL_UP.containers, ctr("old")], ALL_UP.networks, ALL_UP.volumes)
    plan = plan_up(project(), observed, UpOptions())
    assert kinds(plan) == [] and "p-old-1" in plan.warnings[0]
    plan = plan_up(project(), observed, UpOptions(remove_orphans=True))
    assert kinds(plan) == ["stop:p-old-1", "remove:p-old-1"]


def test_external_resources_must_exist_and_are_never_created() -> None:
    ext = Desired("p", [DesiredService("a", "h", networks=["ext"])],
                  [DesiredResource("ext", "shared", external=True)])
    with pytest.raises(NotFound, match="shared declared as external"):
        plan_up(ext, Observed(), UpOptions())
    plan = plan_up(ext, Observed(networks=["shared"]), UpOptions())
    assert kinds(plan) == ["create:p-a-1", "start:p-a-1"]
    down = plan_down(ext, Observed([ctr("a", h="h")], ["shared"]), DownOptions())
    assert "rmnet:ext" not in kinds(down)


def test_dependency_cycle_and_unknown_dependency_are_errors() -> None:
    a = DesiredService("a", "h", depends_on={"b": Dependency()})
    b = DesiredService("b", "h", depends_on={"a": Dependency()})
    with pytest.raises(InvalidArgument, match="cycle"):
        dependency_order([a, b])
    with pytest.raises(InvalidArgument, match="undefined service 'b'"):
        dependency_order([a])
    optional = DesiredService("a", "h", depends_on={"b": Dependency(required=False)})
    assert dependency_order([optional]) == ["a"]


def test_completed_successfully_waits_and_scale_zero_is_not_waited_for() -> None:
    job = DesiredService("job", "h", scale=0)
    app = DesiredService("app", "h", depends_on={
        "job": Dependency("service_completed_successfully")})
    plan = plan_up(Desired("p", [job, app]), Observed(), UpOptions())
    assert kinds(plan) == ["create:p-app-1", "start:p-app-1"]
    job = DesiredService("job", "h")
    plan = plan_up(Desired("p", [job, app]), Observed(), UpOptions())
    wait = plan.by_id("wait:app:job")
    assert wait.condition == "service_completed_successfully" and wait.required


def test_restart_true_dependents_stop_before_and_start_after_a_recreated_dependency() -> None:
    web = DesiredService("web", "h-web", networks=["default", "back"],
                         depends_on={"db": Dependency("service_healthy", restart=True)})
    plan = plan_up(project(db=DesiredService("db", "h-new", networks=["back"],
                                             volumes=["data"]), web=web), ALL_UP, UpOptions())
    assert plan.by_id("recreate:p-db-1").after == ("stop:p-web-1",)
    assert set(plan.by_id("start:p-web-1").after) == {"wait:web:db", "stop:p-web-1"}


def test_down_stops_dependents_first_then_removes_networks_and_volumes_with_v() -> None:
    plan = plan_down(project(), ALL_UP, DownOptions())
    assert plan.by_id("stop:p-proxy-1").after == ()
    assert plan.by_id("stop:p-web-1").after == ("stop:p-proxy-1",)
    assert plan.by_id("stop:p-db-1").after == ("stop:p-web-1",)
    # a network or volume goes as soon as the containers of its services are gone
    assert set(plan.by_id("rmnet:default").after) == {"remove:p-web-1", "remove:p-proxy-1"}
    assert set(plan.by_id("rmnet:back").after) == {"remove:p-db-1", "remove:p-web-1"}
    assert "rmvol:data" not in kinds(plan)
    plan = plan_down(project(), ALL_UP, DownOptions(volumes=True, images=["p-web"]))
    assert {"rmvol:data", "rmi:p-web"} <= set(kinds(plan))
    assert plan.by_id("rmvol:data").after == ("remove:p-db-1",)
    # known only by its labels, a network waits for every container
    labelled = Desired("p", project().services, NETS, VOLS, complete=False)
    assert len(plan_down(labelled, ALL_UP, DownOptions()).by_id("rmnet:default").after) == 3


@pytest.mark.parametrize(("timeout", "states", "one_step"), [
    # -t 0: the stop's SIGKILL comes at once, so one forced removal does both
    (0, ("running", "running", "running"), {"p-db-1", "p-web-1", "p-proxy-1"}),
    # a grace period (given or the container's own) needs the stop first
    (10, ("running", "running", "running"), set()),
    (None, ("running", "running", "running"), set()),
    # nothing runs in an exited or created container: there is nothing to stop
    (None, ("exited", "created", "running"), {"p-db-1", "p-web-1"}),
    # a paused one is thawed and signalled by a stop, so it keeps its stop
    (None, ("paused", "dead", "restarting"), {"p-web-1"}),
])
def test_down_stops_and_removes_in_one_step_when_a_stop_would_only_kill(
        timeout: int | None, states: tuple[str, str, str], one_step: set[str]) -> None:
    observed = Observed([ctr(s, state=st) for s, st in zip(("db", "web", "proxy"), states,
                                                           strict=True)],
                        ALL_UP.networks, ALL_UP.volumes)
    plan = plan_down(project(), observed, DownOptions(timeout=timeout))
    single = {s.name for s in plan.steps if s.kind == "stop_remove_container"}
    assert single == one_step
    for name in ("p-db-1", "p-web-1", "p-proxy-1"):
        assert (f"stop:{name}" in kinds(plan)) == (name not in one_step)
    # dependents still go first, whichever steps stop them
    web_stop = "remove:p-web-1" if "p-web-1" in one_step else "stop:p-web-1"
    db_stop = "remove:p-db-1" if "p-db-1" in one_step else "stop:p-db-1"
    assert plan.by_id(db_stop).after == (web_stop,)
    assert set(plan.by_id("rmnet:back").after) == {"remove:p-db-1", "remove:p-web-1"}


def test_down_of_a_service_takes_its_dependents_and_leaves_networks() -> None:
    plan = plan_down(project(), ALL_UP, DownOptions(services=["web"]))
    assert sorted(kinds(plan)) == sorted(
        ["stop:p-web-1", "remove:p-web-1", "stop:p-proxy-1", "remove:p-proxy-1"])
    with pytest.raises(NotFound):
        plan_down(project(), ALL_UP, DownOptions(services=["nope"]))


def test_down_removes_orphans_and_oneoffs_only_when_asked() -> None:
    oneoff = ObservedContainer("id-r", "p-web-run-1", "web", oneoff=True)
    observed = Observed([*ALL_UP.containers, ctr("old"), oneoff], ALL_UP.networks)
    assert "remove:p-old-1" not in kinds(plan_down(project(), observed, DownOptions()))
    plan = plan_down(project(), observed, DownOptions(remove_orphans=True))
    assert {"remove:p-old-1", "remove:p-web-run-1"} <= set(kinds(plan))


def test_start_starts_only_stopped_containers_waiting_for_conditions() -> None:
    observed = Observed([ctr("db", state="exited"), ctr("web", state="exited"), ctr("proxy")])
    plan = plan_start(project(), observed, [])
    assert kinds(plan) == ["start:p-db-1", "wait:web:db", "start:p-web-1"]
    assert plan.by_id("start:p-web-1").after == ("wait:web:db",)


HASHED = [DesiredResource("default", "p_default", config_hash="n-default"),
          DesiredResource("back", "p_back", config_hash="n-back")]


@pytest.mark.parametrize(("labels", "opts", "remade"), [
    # the same hash, or no label (made before labels): the network stays
    ({"p_default": "n-default", "p_back": "n-back"}, UpOptions(), set()),
    ({}, UpOptions(), set()),
    # back changed: its containers (db, web) stop, it is removed and made again, and they
    # are recreated on it; proxy (default only) is left alone
    ({"p_back": "changed"}, UpOptions(), {"back"}),
    # up web brings db too, so back is remade; up proxy alone leaves back to db and web
    ({"p_back": "changed"}, UpOptions(services=["web"]), {"back"}),
    ({"p_back": "changed"}, UpOptions(services=["proxy"], no_deps=True), set()),
])
def test_a_network_whose_config_changed_is_made_again_with_its_containers(
        labels: dict[str, str], opts: UpOptions, remade: set[str]) -> None:
    desired = Desired("p", project().services, HASHED, VOLS)
    observed = Observed(ALL_UP.containers, ALL_UP.networks, ALL_UP.volumes,
                        network_hashes=labels)
    plan = plan_up(desired, observed, opts)
    assert {s.key for s in plan.steps if s.kind == "remove_network"} == remade
    assert {s.key for s in plan.steps if s.kind == "create_network"} == remade
    recreated = {s.service for s in plan.steps if s.kind == "recreate_container"}
    assert recreated == ({"db", "web"} if remade else set())
    if remade:
        assert set(plan.by_id("rmnet:back").after) == {"stop:p-db-1", "stop:p-web-1"}
        assert plan.by_id("network:back").after == ("rmnet:back",)
        assert "network:back" in plan.by_id("recreate:p-db-1").after
        assert "recreate:p-proxy-1" not in plan.ids()
        assert len(plan.ids()) == len(set(plan.ids()))  # no step planned twice


def test_a_changed_volume_is_made_again_only_when_the_user_agreed() -> None:
    vols = [DesiredResource("data", "p_data", config_hash="v-data")]
    desired = Desired("p", project().services, NETS, vols)
    observed = Observed(ALL_UP.containers, ALL_UP.networks, ALL_UP.volumes,
                        volume_hashes={"p_data": "changed"})
    assert [r.key for r in diverged(desired, observed, True)] == ["data"]
    assert diverged(desired, Observed(ALL_UP.containers, ALL_UP.networks, ALL_UP.volumes),
                    True) == []  # unlabelled: taken as it is
    kept = plan_up(desired, observed, UpOptions())
    assert not {s.kind for s in kept.steps} & {"remove_volume", "create_volume"}
    plan = plan_up(desired, observed, UpOptions(renew_volumes=["data"]))
    # db, which uses it, is stopped and removed first, and made anew on the new volume
    assert plan.by_id("remove:p-db-1").after == ("stop:p-db-1",)
    assert plan.by_id("rmvol:data").after == ("remove:p-db-1",)
    assert plan.by_id("volume:data").after == ("rmvol:data",)
    assert "volume:data" in plan.by_id("create:p-db-1").after
    assert "recreate:p-db-1" not in plan.ids() and "p-web-1" in plan.running


def test_network_and_volume_hashes_are_compose_v2s() -> None:
    # the labels Compose v2.40 put on a network and a volume it created (no options set)
    assert network_hash({"name": "stack3_back", "ipam": {}}) == (
        "43401b9a4afe580f09106152fc6008114d01b91b9bca563555e8b76adb4dc11d")
    assert volume_hash({"name": "stack3_db_data"}) == (
        "0f1338092dcbd755d15e2043e9c84f2c8fc450f50646f30e412241c7948987e5")
    # driver: local is what an unset driver hashes as; a set one counts
    assert volume_hash({"name": "v", "driver": "local"}) == volume_hash({"name": "v"})
    assert volume_hash({"name": "v", "driver": "nfs"}) != volume_hash({"name": "v"})


def test_config_hash_ignores_what_needs_no_new_container() -> None:
    base = {"image": "busybox", "command": ["sleep", "1"], "deploy": {"replicas": 2}}
    same = {**base, "build": {"context": "."}, "scale": 3, "depends_on": {"db": {}},
            "profiles": ["x"], "pull_policy": "always", "deploy": {"replicas": 5}}
    assert service_hash(base) == service_hash(same)
    assert service_hash(base) != service_hash({**base, "command": ["sleep", "2"]})
    limited = {**base, "deploy": {"replicas": 2, "resources": {"limits": {"cpus": 1}}}}
    assert service_hash(base) != service_hash(limited)


def test_config_hash_is_compose_v2s() -> None:
    """Hashes Compose v2.40 wrote on containers of these services (its config json)."""
    db = {"command": ["sh", "-c", "echo db up; touch /tmp/ready; while true; do echo db tick; "
                      "sleep 1; done"],
          "healthcheck": {"test": ["CMD", "test", "-f", "/tmp/ready"], "interval": "1s",
                          "retries": 3},
          "image": "busybox", "networks": {"back": None},
          "secrets": [{"source": "db_password", "target": "/run/secrets/db_password"}],
          "volumes": [{"type": "volume", "source": "data", "target": "/data", "volume": {}}]}
    web = {"command": ["httpd", "-f", "-p", "80", "-h", "/"],
           "depends_on": {"db": {"condition": "service_healthy", "required": True}},
           "image": "busybox", "networks": {"back": None, "front": None},
           "ports": [{"mode": "ingress", "target": 80, "published": "18081", "protocol": "tcp"}]}
    assert service_hash(db) == "75e9ca2b5daadaacfb31bba96ea8f18b0d3d3fe4dca822574f47f67cf54bb5a8"
    assert service_hash(web) == "d926d7008dba4d57bce1b0b088f59cbe5eec8274af7fec1e76bebf78d550e55c"


def test_a_restart_takes_the_services_that_depend_on_it_with_restart_true() -> None:
    web = DesiredService("web", "h", depends_on={"db": Dependency(restart=True)})
    proxy = DesiredService("proxy", "h", depends_on={"web": Dependency(restart=True)})
    other = DesiredService("other", "h", depends_on={"db": Dependency()})
    desired = Desired("p", [DesiredService("db", "h"), web, proxy, other])
    assert restart_dependents(desired, ["db"]) == ["web", "proxy"]
    assert restart_dependents(desired, ["proxy"]) == []
