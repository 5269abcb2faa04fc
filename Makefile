# Two entry points: `make run` (set up, then serve the bundled knowledge base;
# PORT=8080 for another port)
# and `make test` (set up, then run the whole test suite). Everything lives
# in a local virtual environment, .venv/.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test setup setup-test browser bench clean

# `make run PORT=8080` serves on another port.
PORT ?= 5000

run: setup
	$(BIN)/kb serve --port $(PORT)

test: setup-test browser
	$(BIN)/python -m pytest

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# The browser tests drive Debian's Chromium; Playwright cannot download one here.
browser:
	@test -x $(CHROMIUM) || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

# Benchmarks: not part of `make test`; each prints its baseline beside it.
bench: setup-test
	$(BIN)/python tests/benchmarks/relevance.py
	$(BIN)/python tests/benchmarks/relevance_medquad.py
	$(BIN)/python tests/benchmarks/build_speed.py
	$(BIN)/python tests/benchmarks/search_latency.py
	$(BIN)/python tests/benchmarks/embedding_cost.py
	$(BIN)/python tests/benchmarks/checksum_cost.py
	$(BIN)/python tests/benchmarks/http_load.py
	$(BIN)/python tests/benchmarks/rebuild_under_load.py
	$(BIN)/python tests/benchmarks/scale_out.py

clean:
	rm -rf $(VENV) instance .pytest_cache
