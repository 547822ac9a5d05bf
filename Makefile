# The platform's entry points. Each works on a fresh Debian machine: it installs what is missing.
.PHONY: up down test test-faults lint bench status help

help:
	@echo "make up      install what is missing and run the whole platform locally"
	@echo "make down    stop everything 'make up' started"
	@echo "make test    start what the tests need and run every test suite"
	@echo "make test-faults  only the fault suite (tests/faults): dependencies failing under load,"
	@echo "                  with the cases make test leaves out: services killed, make down/make up"
	@echo "make lint    ruff and mypy --strict"
	@echo "make bench   run the benchmarks in bench/ (results in docs/benchmarks.md)"
	@echo "make status  show what is running"

up:
	@bash deploy/local/up.sh

down:
	@bash deploy/local/down.sh

test:
	@bash deploy/local/test.sh

test-faults:
	@NOTIFY_TEST_SKIP_LINT=1 bash deploy/local/test.sh tests/faults

lint:
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy $(foreach d,$(wildcard libs/*/src/* services/*/src/*),-p $(notdir $(d)))
	uv run mypy tests bench

bench:
	@bash bench/run.sh

status:
	@bash deploy/local/infra.sh status
	@bash deploy/local/services.sh status
