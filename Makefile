# janus1: two commands set everything up (see README "Quick start").
#   make run   -> creates .venv if missing, installs janus1, runs `janus1 study`
#   make test  -> creates .venv if missing, installs janus1 + test comparators, runs pytest
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install -q -c constraints.txt
PYTEST_ARGS ?= -n 2
# one BLAS thread per process: the decoders' small matrix products run 10-40x slower when
# two OpenBLAS threads fight over a 2-core machine (measured; see docs/decoder.md)
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: run test install install-test bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test,rtl,ray]'
	# comparators: transformers + torch (CPU wheel on disk), llama-cpp-python (builds ~7 min)
	$(PIP) -e '.[compare]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(VENV)/bin/janus1 study

test: $(VENV)/.installed-test
	# compile the WebAssembly Yosys/nextpnr once (about 1.5 min, cached in $$YOWASP_CACHE_DIR)
	# before pytest's workers could both start compiling it
	$(VENV)/bin/janus1 rtl warm
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) results .pytest_cache
