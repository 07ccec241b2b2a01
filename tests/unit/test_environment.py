"""The pinned environment: requirements.lock and environment.yml list the same versions."""

from __future__ import annotations

import sys

import yaml
from study import REPO

sys.path.insert(0, str(REPO / "tools"))
from environment_from_lock import locked_versions  # noqa: E402


def test_environment_yml_pins_exactly_the_locked_versions():
    locked = locked_versions(REPO / "requirements.lock")
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    (pip,) = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    pinned = dict(line.split("==") for line in pip)
    assert pinned == locked


def test_every_locked_package_has_a_hash():
    text = (REPO / "requirements.lock").read_text()
    blocks = [b for b in text.split("\n") if "==" in b and not b.startswith("#")]
    assert blocks and all(b.rstrip().endswith("\\") for b in blocks), "pins without --hash"


def test_the_lock_pins_what_pyproject_requires():
    locked = locked_versions(REPO / "requirements.lock")
    for name in ("tensorflow-cpu", "scikit-learn", "papermill", "pytest", "hypothesis", "ruff"):
        assert name in locked, name
