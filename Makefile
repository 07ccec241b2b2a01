# The two commands of the README: `make book` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PROFILE ?= full
# Every package of the environment, pinned with hashes (make lock); uv installs it.
LOCK := requirements.lock
UV_VERSION := 0.13.9
UV := $(PY) -m uv
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28

.PHONY: help venv lock book run build publish test notebooks lint format bench bench-quick browser clean

help:
	@echo "make book       set up $(VENV), execute the notebooks ($(PROFILE) profile), build _build/html"
	@echo "make test       set up $(VENV) with test extras and run the whole test suite"
	@echo "make notebooks  re-execute notebooks/ in place (quick profile) after an intended change"
	@echo "make bench      reference vs ours, side by side (bench-quick: a 3-minute version)"
	@echo "make lint       ruff check and format check, actionlint on the workflows"
	@echo "make publish    commit the latest run's book to gh-pages (PUSH=1: and push it)"
	@echo "make lock       re-pin $(LOCK) (and environment.yml) after changing pyproject.toml"

# Only python3 is needed: pip installs uv into the venv, uv installs the locked
# packages (hashes checked, anything else removed), then the project without deps.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip sync --quiet --python $(PY) --require-hashes $(LOCK)
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# Resolve pyproject.toml (extras test and dev) afresh into $(LOCK) for Linux x86_64 and
# Python 3.11, as CI runs; environment.yml gets the same versions for conda users.
lock:
	@[ -x $(PY) ] || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet uv==$(UV_VERSION); }
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip compile pyproject.toml --extra test --extra dev --generate-hashes \
		$(LOCK_TARGET) --upgrade --quiet -o $(LOCK)
	$(PY) tools/environment_from_lock.py $(LOCK) environment.yml

book: venv
	$(VENV)/bin/digits-book run --profile $(PROFILE)
	$(VENV)/bin/digits-book build --run $(PROFILE)

run: venv
	$(VENV)/bin/digits-book run --profile $(PROFILE)

build: venv
	$(VENV)/bin/digits-book build

publish: venv
	$(VENV)/bin/digits-book publish $(if $(PUSH),--push)

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
	$(VENV)/bin/actionlint .github/workflows/*.yml

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	$(PY) benchmarks/bench.py --strategy effective-grid --strategy halving

bench-quick: venv
	$(PY) benchmarks/bench.py --quick

clean:
	rm -rf _build runs book/chapters _static/plotly.min.js notebooks/runs
