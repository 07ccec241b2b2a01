"""Shared fixtures: the real dataset and its default split."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def digits():
    from digits_helpers.data import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="session")
def split(digits):
    from digits_helpers.data import split_dataset

    return split_dataset(digits, test_size=0.2, random_state=42)
