"""The Makefile's checks before it installs anything: the Python for .venv, the browser.

Each test runs the real ``make`` on this repository's Makefile, with ``VENV`` in a
temporary folder, and stops before anything is created or installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from find_browser import candidates, install_hint
from study import REPO as ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "MAKEFLAGS")}
    return subprocess.run(
        [MAKE, "--no-print-directory", "-C", str(ROOT), *args],
        env=environ if env is None else env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_venv_refuses_a_python_that_is_not_3_11_or_3_12(tmp_path):
    venv = tmp_path / "venv"
    completed = make("venv", f"VENV={venv}", "PYTHON=false")
    assert completed.returncode != 0
    message = completed.stderr.splitlines()[0]
    assert message.startswith("PYTHON=false does not run; ")
    assert "needs Python 3.11 or 3.12: install one" in message
    assert not venv.exists()


def test_venv_is_created_with_the_given_python(tmp_path):
    completed = make("-n", "venv", f"VENV={tmp_path / 'venv'}", f"PYTHON={sys.executable}")
    assert completed.returncode == 0, completed.stderr
    assert f"{sys.executable} -m venv {tmp_path / 'venv'}" in completed.stdout


def test_venv_default_python_is_a_supported_one(tmp_path):
    completed = make("-n", "venv", f"VENV={tmp_path / 'venv'}")
    assert completed.returncode == 0, completed.stderr
    (line,) = [line for line in completed.stdout.splitlines() if " -m venv " in line]
    python = line.split(" -m venv ")[0]
    assert python in ("python3", "python3.12", "python3.11")
    version = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert version in (["3", "11"], ["3", "12"])


def test_browser_with_chromium_set_installs_nothing(tmp_path):
    browser = tmp_path / "my-chrome"
    browser.write_text("#!/bin/sh\nexit 0\n")
    browser.chmod(0o755)
    completed = make("-s", "browser", env={**os.environ, "CHROMIUM": str(browser)})
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")


def test_browser_elsewhere_than_debian_says_what_to_install(tmp_path):
    """Nothing on PATH or in HOME, on Fedora (say): the one-line message, and a failure."""
    (tmp_path / "bin").mkdir()
    env = {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    if candidates(env):  # a macOS application outside HOME
        pytest.skip("a browser is installed where this test cannot hide it")
    completed = make("-s", "browser", "BROWSER_OS=fedora", f"PYTHON={sys.executable}", env=env)
    assert completed.returncode != 0
    assert completed.stderr.splitlines()[0] == install_hint("fedora")


def test_make_lab_serves_the_notebooks_folder(tmp_path):
    completed = make("-n", "lab", f"VENV={tmp_path / 'venv'}")
    assert completed.returncode == 0, completed.stderr
    (line,) = [line for line in completed.stdout.splitlines() if "jupyter lab" in line]
    assert line.startswith(f"{tmp_path / 'venv'}/bin/jupyter lab ")
    assert "--ServerApp.root_dir=notebooks" in line.split()


def test_make_test_installs_the_browser_and_test_fast_leaves_it(tmp_path):
    full = make("-n", "test", f"VENV={tmp_path / 'venv'}").stdout
    fast = make("-n", "test-fast", f"VENV={tmp_path / 'venv'}").stdout
    assert "find_browser.py" in full and "find_browser.py" not in fast
    assert fast.splitlines()[-1] == (
        f"{tmp_path / 'venv'}/bin/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder"
        " tests/unit"
    )
    assert full.splitlines()[-1].endswith('-m "not slow"')


def test_make_test_all_runs_make_test_then_the_slow_tier(tmp_path):
    commands = make("-n", "test-all", f"VENV={tmp_path / 'venv'}").stdout.splitlines()
    pytest_runs = [line.split(" -m pytest ")[1] for line in commands if " -m pytest " in line]
    parallel = "-n 2 --dist loadscope --no-loadscope-reorder"
    assert pytest_runs == [f'{parallel} -m "not slow"', f"{parallel} -m slow"]
