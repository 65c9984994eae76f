# Sitrep: `make run` serves the app, `make test` runs the tests. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: run test venv index browser bench eval clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

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

test: venv browser
	$(BIN)/python -m pytest tests evals

bench: venv
	$(BIN)/python -m rag bench

eval: venv
	$(BIN)/python -m rag eval

clean:
	rm -rf .sitrep
