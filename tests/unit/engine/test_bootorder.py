"""The boot plan of a daemon start (pallet.engine.bootorder): links and Compose v2's
``com.docker.compose.depends_on`` label, as a table of cases."""

from __future__ import annotations

from pallet.api.models import ContainerConfig, HostConfig
from pallet.engine.bootorder import (
    COMPLETED,
    HEALTHY,
    STARTED,
    Dependency,
    boot_plan,
    parse_depends_on,
)
from pallet.engine.records import Container


def ctr(name: str, created: float, project: str = "", service: str = "", depends: str = "",
        links: list[str] | None = None) -> Container:
    labels = {}
    if project:
        labels = {"com.docker.compose.project": project, "com.docker.compose.service": service,
                  "com.docker.compose.depends_on": depends}
    return Container(id=name, name=name, image_id="sha256:x", created="", created_unix=created,
                     config=ContainerConfig(Labels=labels),
                     host_config=HostConfig(Links=links))


def plan(*items: Container) -> list[tuple[str, list[Dependency]]]:
    return [(c.name, deps) for c, deps in boot_plan(list(items))]


def test_parse_depends_on_label() -> None:
    assert parse_depends_on("") == []
    assert parse_depends_on("db:service_healthy:false,redis:service_started:true") == [
        ("db", HEALTHY), ("redis", STARTED)]
    assert parse_depends_on("db, migrate:service_completed_successfully:false") == [
        ("db", STARTED), ("migrate", COMPLETED)]


def test_compose_services_come_after_what_they_depend_on() -> None:
    # web was created first (a recreate), yet waits for db's health and redis's start
    web = ctr("p-web-1", 1, "p", "web", "db:service_healthy:false,redis:service_started:false")
    db = ctr("p-db-1", 2, "p", "db")
    redis = ctr("p-redis-1", 3, "p", "redis")
    assert plan(web, db, redis) == [
        ("p-db-1", []), ("p-redis-1", []),
        ("p-web-1", [Dependency("p-db-1", HEALTHY), Dependency("p-redis-1", STARTED)])]


def test_every_replica_of_a_service_is_waited_for() -> None:
    api = ctr("p-api-1", 1, "p", "api", "db:service_healthy:false")
    db1, db2 = ctr("p-db-1", 2, "p", "db"), ctr("p-db-2", 3, "p", "db")
    assert plan(api, db1, db2)[-1] == ("p-api-1", [Dependency("p-db-1", HEALTHY),
                                                   Dependency("p-db-2", HEALTHY)])


def test_projects_do_not_mix_and_absent_services_are_not_waited_for() -> None:
    web_a = ctr("a-web-1", 1, "a", "web", "db:service_healthy:false,cache:service_started:f")
    db_b = ctr("b-db-1", 2, "b", "db")
    assert plan(web_a, db_b) == [("a-web-1", []), ("b-db-1", [])]


def test_links_and_compose_conditions_together() -> None:
    # a plain link and a depends_on on the same container: the condition wins
    app = ctr("p-app-1", 1, "p", "app", "db:service_healthy:false", links=["/p-db-1:/app/db"])
    db = ctr("p-db-1", 2, "p", "db")
    legacy = ctr("legacy", 3, links=["p-app-1:app"])
    assert plan(legacy, app, db) == [
        ("p-db-1", []), ("p-app-1", [Dependency("p-db-1", HEALTHY)]),
        ("legacy", [Dependency("p-app-1", STARTED)])]


def test_a_cycle_is_broken_and_nothing_waits_for_what_comes_later() -> None:
    a = ctr("p-a-1", 1, "p", "a", "b:service_started:false")
    b = ctr("p-b-1", 2, "p", "b", "a:service_healthy:false")
    got = plan(a, b)
    assert [name for name, _ in got] == ["p-b-1", "p-a-1"]
    assert got == [("p-b-1", []), ("p-a-1", [Dependency("p-b-1", STARTED)])]
