# elastic-bench developer entry points. Everything installs into .venv (override with VENV=...).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
EXTRAS ?= train,app,dev

.PHONY: install run test lint bench chromium bubblewrap

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first (the CPU wheel), then everything else under constraints.txt so pip never swaps it;
# editable: the checkout's files are used in place, so edits are live without reinstalling
install: $(BIN)/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -c constraints.txt -e ".[$(EXTRAS)]"

# Chromium for the browser tests (Debian package); skipped quietly where apt is not usable
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "note: could not install chromium; browser tests will be skipped"

# the main job on the embedded default: the tiny reasoner's budget sweep on elastic_toy
run: install
	$(BIN)/elastic-bench run

# the whole test suite (unit + end-to-end: lm_eval, elastic-bench, the app in a real browser)
# bubblewrap for the code sandbox (Debian package); without it the sandbox falls back to its weaker rlimits modes
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) \
		|| echo "note: could not install bubblewrap; the code sandbox runs in a weaker mode and its tests say which"

test: install chromium bubblewrap
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
