# The two commands of the README: `make book` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PROFILE ?= full

.PHONY: help venv book run build test notebooks lint format bench bench-quick browser clean

help:
	@echo "make book       set up $(VENV), execute the notebooks ($(PROFILE) profile), build _build/html"
	@echo "make test       set up $(VENV) with test extras and run the whole test suite"
	@echo "make notebooks  re-execute notebooks/ in place (quick profile) after an intended change"
	@echo "make bench      reference vs ours, side by side (bench-quick: a 3-minute version)"
	@echo "make lint       ruff check and format check"

# An editable install leaves out data files, so the notebooks' kernelspec (digits-book,
# see digits_helpers/kernel.py) is written into the venv by a command of its own.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	$(PY) -m digits_helpers.kernel install
	touch $(STAMP)

venv: $(STAMP)

book: venv
	$(VENV)/bin/digits-book run --profile $(PROFILE)
	$(VENV)/bin/digits-book build --run $(PROFILE)

run: venv
	$(VENV)/bin/digits-book run --profile $(PROFILE)

build: venv
	$(VENV)/bin/digits-book build

# Debian's Chromium for the test that opens the built book in a real browser
# (apt-get as root, or through sudo otherwise).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser test"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: venv browser
	$(PY) -m pytest

notebooks: venv
	$(PY) tools/refresh_notebooks.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	$(PY) benchmarks/bench.py --strategy effective-grid --strategy halving

bench-quick: venv
	$(PY) benchmarks/bench.py --quick

clean:
	rm -rf _build runs book/chapters _static/plotly.min.js notebooks/runs
