"""Fuzzing the loader: whatever the file holds, it loads or fails with ComposeError only."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pallet.compose.dotenv import parse_env
from pallet.compose.errors import ComposeError
from pallet.compose.template import substitute
from pallet.testing.composefiles import load_in

KEYS = ["image", "build", "command", "entrypoint", "ports", "volumes", "environment",
        "env_file", "depends_on", "networks", "healthcheck", "deploy", "secrets", "configs",
        "extends", "profiles", "ulimits", "mem_limit", "cpus", "labels", "extra_hosts",
        "tmpfs", "stop_grace_period", "restart", "read_only", "condition", "target",
        "source", "published", "type", "test", "interval", "resources", "limits", "memory",
        "file", "service", "name", "external", "include", "path", "x-ext", "services"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-70000, 70000), st.floats(allow_nan=False),
    st.sampled_from(["8080:80", "./d:/d:ro", "db", "${VAR}", "${VAR:-x}", "${VAR:?e}", "$$",
                     "1m30s", "512m", "a=b", "service_healthy", "-", "${", "~", ":::", ""]),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=25,
)
SERVICE = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)
DOCUMENT = st.fixed_dictionaries(
    {"services": st.dictionaries(st.sampled_from(["web", "db", "x"]), SERVICE, max_size=3)},
    optional={k: st.dictionaries(st.sampled_from(["a", "b", "default"]), VALUES, max_size=2)
              for k in ("networks", "volumes", "secrets", "configs")},
)


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        try:
            load_in(Path(root), {"compose.yaml": text}, env={"VAR": "v"})
        except ComposeError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_structured_documents(doc: dict[str, Any]) -> None:
    _load(yaml.safe_dump(doc))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#$\n ,.~01")), max_size=80))
def test_yaml_ish_text(text: str) -> None:
    _load("services:\n  web:\n    image: x\n" + text)
    _load(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("AB_=:'\"#$\\\n {}-?+ex01")), max_size=60))
def test_dotenv_and_templates_fail_only_with_compose_errors(text: str) -> None:
    for parse in (lambda: parse_env(text, {"A": "1"}.get),
                  lambda: substitute(text, {"A": "1", "B": ""}.get)):
        try:
            parse()
        except ComposeError:
            pass


WORDS = st.text(alphabet=st.sampled_from(list("ab0189:/.-=~$ {}[]'\",@")), max_size=14)
FIELDS = {  # fields the schema lets through as strings, for the parsers behind it
    "ports": st.lists(WORDS, max_size=3), "volumes": st.lists(WORDS, max_size=3),
    "expose": st.lists(WORDS, max_size=2), "extra_hosts": st.lists(WORDS, max_size=2),
    "devices": st.lists(WORDS, max_size=2), "command": WORDS, "entrypoint": WORDS,
    "environment": st.lists(WORDS, max_size=3), "labels": st.lists(WORDS, max_size=3),
    "mem_limit": WORDS, "shm_size": WORDS, "cpus": WORDS, "stop_grace_period": WORDS,
    "healthcheck": st.fixed_dictionaries({"test": WORDS, "interval": WORDS}),
    "ulimits": st.dictionaries(st.sampled_from(["nofile", "nproc"]), WORDS, max_size=2),
    "depends_on": st.lists(st.sampled_from(["web", "db", "x"]), max_size=2, unique=True),
    "tmpfs": WORDS, "dns": WORDS, "user": WORDS,
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["web", "db"]), st.fixed_dictionaries(
    {"image": st.just("busybox")},
    optional=FIELDS), min_size=1))
def test_schema_valid_services(services: dict[str, Any]) -> None:
    _load(yaml.safe_dump({"services": services}))
