"""Where the browser tests look for a browser, on real files in a temporary folder.

No browser is launched: the "browsers" here are executable scripts with a browser's
name, and the environment is a dictionary with its own ``PATH`` and ``HOME``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from find_browser import (
    INSTALL,
    PATH_NAMES,
    PLAYWRIGHT_DOWNLOAD,
    BrowserNotFound,
    candidates,
    find_chromium,
    install_hint,
    os_id,
)

FINDER = Path(__file__).parents[1] / "find_browser.py"


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare(tmp_path) -> dict[str, str]:
    """An environment where nothing is installed: an empty PATH folder and HOME."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "home").mkdir()
    return {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path / "home")}


def test_chromium_variable_names_the_browser(tmp_path, bare):
    browser = executable(tmp_path / "elsewhere" / "my-chrome")
    executable(tmp_path / "bin" / "chromium")
    assert find_chromium({**bare, "CHROMIUM": str(browser)}) == browser


def test_chromium_variable_may_be_a_command_on_path(tmp_path, bare):
    browser = executable(tmp_path / "bin" / "my-chrome")
    assert find_chromium({**bare, "CHROMIUM": "my-chrome"}) == browser


def test_chromium_variable_that_names_no_executable_is_an_error(tmp_path, bare):
    executable(tmp_path / "bin" / "chromium")
    (tmp_path / "not-executable").write_text("")
    for value in (str(tmp_path / "missing"), str(tmp_path / "not-executable"), "no-such-name"):
        with pytest.raises(BrowserNotFound, match=f"CHROMIUM={value} is not an executable"):
            find_chromium({**bare, "CHROMIUM": value})


@pytest.mark.parametrize("name", PATH_NAMES)
def test_each_name_is_found_on_path(tmp_path, bare, name):
    browser = executable(tmp_path / "bin" / name)
    assert find_chromium(bare, system="linux") == browser


def test_names_on_path_are_tried_in_order_and_skip_non_executables(tmp_path, bare):
    (tmp_path / "bin" / "chromium").write_text("not executable")
    chrome = executable(tmp_path / "bin" / "google-chrome")
    executable(tmp_path / "bin" / "brave-browser")
    assert find_chromium(bare, system="linux") == chrome


def test_macos_applications_are_found_in_home_applications(tmp_path, bare):
    app = Path(bare["HOME"], "Applications", "Google Chrome.app", "Contents", "MacOS")
    chrome = executable(app / "Google Chrome")
    assert chrome in candidates(bare, system="darwin")
    assert chrome not in candidates(bare, system="linux")


def test_newest_playwright_download_is_found_on_linux(bare):
    cache = Path(bare["HOME"], ".cache", "ms-playwright")
    executable(cache / "chromium-1169" / "chrome-linux" / "chrome")
    newest = executable(cache / "chromium-1187" / "chrome-linux64" / "chrome")
    executable(cache / "chromium_headless_shell-1190" / "chrome-linux" / "headless_shell")
    assert find_chromium(bare, system="linux") == newest


def test_playwright_download_is_found_on_macos_and_in_its_configured_folder(tmp_path, bare):
    mac_cache = Path(bare["HOME"], "Library", "Caches", "ms-playwright")
    app = "chrome-mac/Chromium.app/Contents/MacOS/Chromium"
    mac = executable(mac_cache / "chromium-1100" / app)
    assert find_chromium(bare, system="darwin") == mac
    configured = executable(tmp_path / "browsers" / "chromium-1200" / "chrome-linux" / "chrome")
    environ = {**bare, "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "browsers")}
    assert find_chromium(environ, system="linux") == configured


def test_nothing_found_says_what_to_install(bare):
    with pytest.raises(BrowserNotFound) as raised:
        find_chromium(bare, system="linux", family="fedora")
    message = str(raised.value)
    assert message == install_hint("fedora")
    assert "\n" not in message
    assert "`dnf install chromium`" in message and PLAYWRIGHT_DOWNLOAD in message


@pytest.mark.parametrize(
    ("family", "command"),
    [
        ("debian", "apt-get install chromium"),
        ("fedora", "dnf install chromium"),
        ("arch", "pacman -S chromium"),
        ("macos", "brew install --cask google-chrome"),
        ("ubuntu", PLAYWRIGHT_DOWNLOAD),
        ("other", PLAYWRIGHT_DOWNLOAD),
    ],
)
def test_install_hint_names_the_system_s_command(family, command):
    assert f"install one with `{command}`" in install_hint(family)


@pytest.mark.parametrize(
    ("os_release", "family"),
    [
        ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n', "debian"),
        ("ID=ubuntu\nID_LIKE=debian\n", "ubuntu"),
        ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "ubuntu"),
        ("ID=raspbian\nID_LIKE=debian\n", "debian"),
        ("ID=fedora\nVERSION_ID=40\n", "fedora"),
        ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "fedora"),
        ("ID=arch\n", "arch"),
        ("ID=manjaro\nID_LIKE=arch\n", "arch"),
        ('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n', "opensuse"),
        ("ID=gentoo\n", "other"),
    ],
)
def test_os_id_reads_os_release(tmp_path, os_release, family):
    path = tmp_path / "os-release"
    path.write_text(os_release)
    assert os_id(path, system="linux") == family
    assert family == "other" or family in INSTALL


def test_os_id_without_os_release_and_on_macos(tmp_path):
    assert os_id(tmp_path / "missing", system="linux") == "other"
    assert os_id(tmp_path / "missing", system="darwin") == "macos"


def _script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(FINDER), *args], env=env, capture_output=True, text=True
    )


def test_script_prints_the_browser_or_one_line_saying_what_to_install(tmp_path, bare):
    env = {**bare, "LANG": os.environ.get("LANG", "C.UTF-8")}
    if candidates(env):  # a macOS application outside HOME
        pytest.skip("a browser is installed where this test cannot hide it")
    missing = _script("--os", "arch", env=env)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == install_hint("arch") + "\n"
    browser = executable(tmp_path / "bin" / "chromium")
    found = _script(env=env)
    assert (found.returncode, found.stdout) == (0, f"{browser}\n")
