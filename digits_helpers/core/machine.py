"""The machine a number was measured on, and the versions of the packages that produced it.

A run's ``results.json``, every saved model's card and every benchmark record name both:
a trained score moves with the CPU's floating-point kernels and with the packages' versions.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

VERSIONED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "tensorflow-cpu",
    "keras",
    "plotly",
    "papermill",
    "jupyter-book",
    "digits-book",
)


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that produce the numbers.

    Returns
    -------
    dict of str to str
        ``python`` and each installed package of :data:`VERSIONED_PACKAGES` -> its
        version; a package that is not installed is left out.
    """
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def machine() -> dict[str, Any]:
    """The machine the run is on, as the book names it beside every timing.

    Returns
    -------
    dict
        ``cpu`` (the processor's model name, from ``/proc/cpuinfo`` where there is one,
        else :func:`platform.processor`), ``cores`` (logical CPUs) and ``system``.
    """
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.machine()}",
    }


def described() -> str:
    """The machine in a few words, as the book names it beside a timing.

    Returns
    -------
    str
        Such as ``"AMD EPYC, 2 cores"``: :func:`machine`'s CPU and cores.
    """
    found = machine()
    return f"{found['cpu']}, {found['cores']} cores"
