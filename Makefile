# Sitrep: `make run` serves the app, `make test` checks the code and runs the tests, `make lint`
# checks the code (ruff, then mypy).
# Each sets up what it needs first: the runtime lock (requirements.txt), and for test and lint
# the pinned tools on top of it (requirements-dev.txt).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test test-fast lint venv dev index browser bench eval clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

# Both files in one pip run, so the tools' dependencies resolve against the runtime pins.
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-dev-* && touch $(DEV_STAMP)

dev: $(DEV_STAMP)

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
