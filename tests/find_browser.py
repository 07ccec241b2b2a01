"""Find a Chromium-family browser for the browser tests, or say what to install.

One list of places, used by the browser tests (:func:`find_chromium`) and by
``make browser``, which runs this file with any Python 3 (standard library only)::

    python3 tests/find_browser.py              # the browser's path, or what to install
    python3 tests/find_browser.py --os fedora  # the same, saying what to install on Fedora
    python3 tests/find_browser.py --os-id      # debian, ubuntu, fedora, ..., macos, other

Looked at in order: the ``CHROMIUM`` environment variable (a path or a command name),
the commands :data:`PATH_NAMES` on ``PATH``, the macOS applications :data:`MACOS_APPS`
(in ``/Applications`` and ``~/Applications``), then the Chromium that
``python -m playwright install chromium`` downloads (``PLAYWRIGHT_BROWSERS_PATH``, or
``~/.cache/ms-playwright`` on Linux, ``~/Library/Caches/ms-playwright`` on macOS).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "CHROMIUM"
# Debian (chromium), Ubuntu (chromium-browser: the snap's wrapper), Fedora and Arch
# (chromium), Google's packages, Microsoft's and Brave's.
PATH_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "microsoft-edge-stable",
    "brave-browser",
    "brave",
)
MACOS_APPS = (
    "Chromium.app/Contents/MacOS/Chromium",
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "Brave Browser.app/Contents/MacOS/Brave Browser",
)
# Inside a Playwright browsers folder; newest revision first (see _playwright_browsers).
PLAYWRIGHT_GLOBS = (
    "chromium-*/chrome-linux*/chrome",
    "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
    "chromium-*/chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
)
PLAYWRIGHT_DOWNLOAD = ".venv/bin/python -m playwright install chromium"

# How to install a browser, by the operating system's id (see os_id).
INSTALL = {
    "debian": "apt-get install chromium",
    # Ubuntu's apt package is only a wrapper around the snap, which Playwright cannot
    # drive from a temporary profile: Playwright's own Chromium works.
    "ubuntu": PLAYWRIGHT_DOWNLOAD,
    "fedora": "dnf install chromium",
    "arch": "pacman -S chromium",
    "opensuse": "zypper install chromium",
    "alpine": "apk add chromium",
    # The chromium cask is unsigned and Gatekeeper refuses it; Chrome is signed.
    "macos": "brew install --cask google-chrome",
}
_FAMILIES = ("ubuntu", "debian", "fedora", "rhel", "arch", "opensuse", "suse", "alpine")
_ALIASES = {"rhel": "fedora", "suse": "opensuse"}


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ["HOME"]) if environ.get("HOME") else Path.home()


def _playwright_browsers(environ: Mapping[str, str], system: str) -> list[Path]:
    """Playwright's downloaded Chromium executables, newest revision first."""
    configured = environ.get("PLAYWRIGHT_BROWSERS_PATH", "")
    if configured and configured != "0":
        roots = [Path(configured).expanduser()]
    elif system == "darwin":
        roots = [_home(environ) / "Library" / "Caches" / "ms-playwright"]
    else:
        cache = environ.get("XDG_CACHE_HOME") or str(_home(environ) / ".cache")
        roots = [Path(cache) / "ms-playwright"]

    found = []
    for root in roots:
        # chromium-1187/chrome-linux/chrome -> 1187
        revisions = {
            path: int(re.sub(r"\D", "", path.relative_to(root).parts[0]) or -1)
            for pattern in PLAYWRIGHT_GLOBS
            for path in root.glob(pattern)
        }
        found += sorted(revisions, key=revisions.__getitem__, reverse=True)
    return found


def candidates(environ: Mapping[str, str] | None = None, system: str | None = None) -> list[Path]:
    """Every place looked at for a browser after ``CHROMIUM``, in the order looked at.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read ``PATH``, ``HOME`` and ``PLAYWRIGHT_BROWSERS_PATH``
        from; :data:`os.environ` by default.
    system : str, optional
        ``sys.platform`` by default (``"darwin"`` adds the macOS applications).

    Returns
    -------
    list of pathlib.Path
        Existing executables on ``PATH`` under :data:`PATH_NAMES`, then the macOS
        application bundles and Playwright's downloads that exist.
    """
    environ = os.environ if environ is None else environ
    system = sys.platform if system is None else system
    found = [
        Path(hit)
        for name in PATH_NAMES
        if (hit := shutil.which(name, path=environ.get("PATH", os.defpath)))
    ]
    if system == "darwin":
        folders = (Path("/Applications"), _home(environ) / "Applications")
        found += [folder / app for app in MACOS_APPS for folder in folders]
    found += _playwright_browsers(environ, system)
    return [path for path in found if _executable(path)]


def os_id(os_release: Path = Path("/etc/os-release"), system: str | None = None) -> str:
    """Which family of operating system this is, to say how to install a browser.

    Parameters
    ----------
    os_release : pathlib.Path, optional
        The ``os-release`` file to read ``ID`` and ``ID_LIKE`` from on Linux.
    system : str, optional
        ``sys.platform`` by default.

    Returns
    -------
    str
        ``"macos"``, one of the Linux families of :data:`INSTALL` (``"ubuntu"`` before
        ``"debian"``, so that Ubuntu's derivatives count as Ubuntu), or ``"other"``.
    """
    system = sys.platform if system is None else system
    if system == "darwin":
        return "macos"
    try:
        text = os_release.read_text()
    except OSError:
        return "other"
    fields = dict(re.findall(r'^(ID|ID_LIKE)="?([^"\n]*)"?$', text, flags=re.M))
    ids = f"{fields.get('ID', '')} {fields.get('ID_LIKE', '')}".lower().split()
    for family in _FAMILIES:
        if any(name == family or name.startswith(f"{family}-") for name in ids):
            return _ALIASES.get(family, family)
    return "other"


def install_hint(family: str | None = None) -> str:
    """One line saying that no browser was found and what to install.

    Parameters
    ----------
    family : str, optional
        What :func:`os_id` returns; this machine's by default.

    Returns
    -------
    str
        The message, naming this system's install command, Playwright's download and
        the ``CHROMIUM`` override.
    """
    family = os_id() if family is None else family
    command = INSTALL.get(family, PLAYWRIGHT_DOWNLOAD)
    alternatives = "" if command == PLAYWRIGHT_DOWNLOAD else f", or `{PLAYWRIGHT_DOWNLOAD}`"
    return (
        f"No Chromium-family browser found for the browser tests (looked at ${ENV_VAR}, "
        f"PATH, macOS apps, Playwright's downloads): install one with `{command}`"
        f"{alternatives}, or set {ENV_VAR}=/path/to/browser"
    )


class BrowserNotFound(RuntimeError):
    """No Chromium-family browser is installed where :func:`find_chromium` looks."""


def find_chromium(
    environ: Mapping[str, str] | None = None,
    system: str | None = None,
    family: str | None = None,
) -> Path:
    """The Chromium-family browser the browser tests drive.

    Parameters
    ----------
    environ : mapping, optional
        The environment (``CHROMIUM``, ``PATH``, ``HOME``, ...); :data:`os.environ`
        by default.
    system : str, optional
        ``sys.platform`` by default.
    family : str, optional
        The operating system the message names an install command for
        (:func:`install_hint`); this machine's by default.

    Returns
    -------
    pathlib.Path
        ``$CHROMIUM`` when it is set (a path, or a command on ``PATH``), else the first
        of :func:`candidates`.

    Raises
    ------
    BrowserNotFound
        When ``$CHROMIUM`` names no executable, or nothing is found; the message says
        what to install.
    """
    environ = os.environ if environ is None else environ
    override = environ.get(ENV_VAR, "").strip()
    if override:
        path = Path(override).expanduser()
        if os.sep not in override and not path.exists():
            path = Path(shutil.which(override, path=environ.get("PATH", os.defpath)) or path)
        if not _executable(path):
            raise BrowserNotFound(f"{ENV_VAR}={override} is not an executable browser")
        return path
    found = candidates(environ, system)
    if not found:
        raise BrowserNotFound(install_hint(family))
    return found[0]


def main(argv: list[str] | None = None) -> int:
    """Print the browser's path (exit 0), or what to install (stderr, exit 1)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--os-id"]:
        print(os_id())
        return 0
    if argv and (len(argv) != 2 or argv[0] != "--os"):
        print("usage: find_browser.py [--os-id | --os ID]", file=sys.stderr)
        return 2
    try:
        print(find_chromium(family=argv[1] if argv else None))
    except BrowserNotFound as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
