# The two commands a user runs: `make demo` and `make test` (see README).
PY ?= python3


.PHONY: setup demo test check unit integration compat dockerpy bench

setup:
	@./scripts/setup

demo: setup
	@./scripts/demo

check: setup
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy
	lint-imports

unit: setup
	$(PY) -m pytest -q tests/unit tests/contracts tests/api tests/stack

integration: setup
	$(PY) -m pytest -q -m integration tests/integration

compat: setup
	$(PY) -m pytest -q -m compat tests/compat

# docker-py's own tests/integration (sdist fetched from PyPI at run time) against palletd
dockerpy: setup
	$(PY) -m pytest -q -s -m dockerpy tests/dockerpy

test: check unit integration compat dockerpy

BENCHES = run-latency run-network run-build run-health run-registry run-compose run-scan run-lint api-reads

bench: setup
	@./bench/setup-anchors || echo "bench: an anchor is not available; its numbers show as n/a"
	@rc=0; for b in $(BENCHES); do echo "== bench/$$b"; ./bench/$$b || rc=1; done; exit $$rc
