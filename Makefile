# Sitrep: `make run` serves the app, `make test` checks the code and runs the tests, `make lint`
# checks the code (ruff, then mypy).
# Each sets up what it needs first: the runtime lock (requirements.txt), and for test and lint
# the dev lock (requirements-dev.txt: the same runtime versions plus the pinned tools). Both
# locks are generated from pyproject.toml by `make lock`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test test-fast lint lock venv dev index browser bench eval clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

# The dev lock holds every runtime pin too (at the runtime lock's versions), then the tools.
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-dev-* && touch $(DEV_STAMP)

dev: $(DEV_STAMP)

# Regenerate both locks from pyproject.toml (pip-tools, so pip's own finders: the CPU torch on
# disk). Pins already in a lock are kept while they still fit; LOCK_FLAGS=--upgrade takes the
# newest releases instead. The dev lock is held to the runtime lock's versions.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras \
	--no-allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_FLAGS)

lock: dev
	$(PIP_COMPILE) --output-file requirements.txt pyproject.toml
	$(PIP_COMPILE) --extra test --extra lint --extra dev --constraint requirements.txt \
	  --output-file requirements-dev.txt pyproject.toml

index: venv
	$(BIN)/python -m rag ingest

run: index
	$(BIN)/python app.py

# Headless Chromium for the browser tests, from Debian's packages (Playwright's own download
# does not work offline), and strace for the no-egress test.
browser:
	@command -v chromium >/dev/null 2>&1 && command -v strace >/dev/null 2>&1 || { \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver strace; }

test: lint browser
	$(BIN)/python -m pytest tests evals

# The unit tier: no model, index, server, browser or `python -m rag` process; under a minute.
test-fast: dev
	$(BIN)/python -m pytest -m "not integration and not slow" tests evals

lint: dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: venv
	$(BIN)/python -m rag bench

eval: venv
	$(BIN)/python -m rag eval

clean:
	rm -rf .sitrep
